"""Appending text that talks to the grader can never raise a score, by construction (issue 13
item 4), and the detector runs once per answer. Fake, function-backed judges only; the measured
numbers on the real model are in benchmarks/evaluator.md (bench_injection_gains.py)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage

from interviewer.cli.evaluate import injection_strings
from interviewer.evaluation import injection
from interviewer.evaluation.evaluator import AnswerEvaluator, comparisons
from interviewer.evaluation.rubric import load_rubric
from interviewer.session import DIMENSIONS
from interviewer.text import sentence_texts
from testkit.chat_model import FunctionChatModel
from test_injection import ATTACKS  # written for the tests, not from any evaluation row

ROOT = Path(__file__).resolve().parent.parent
CHECK_IDS = [c.id for c in load_rubric().checks]
ANSWER = (
    "The nightly import failed twice a week. I read the logs and saw it timed out because the "
    "supplier file had doubled in size. I split the import into batches of ten thousand rows and "
    "it has not failed since. I learned to alert on input size, not only on failures."
)
QUESTION = "Tell me about a bug you fixed."


def _reply(messages: Sequence[BaseMessage]) -> AIMessage:
    del messages
    args: dict[str, Any] = {c: [] for c in CHECK_IDS}
    return AIMessage(content="", tool_calls=[{"name": "record_checks", "args": args, "id": "c"}])


def _texts() -> list[str]:
    """Every answer the repository's data sets hold outside the held-out sets, plain and with its
    injection. Held-out rows (benchmarks/data/heldout/, the `heldout` split) are never read by a
    test: a failure on one would invite a fix written from it."""
    out: list[str] = []
    files = sorted((ROOT / "benchmarks" / "data").glob("*.jsonl")) + [ROOT / "tests" / "data" / "evaluator_pairs.jsonl"]
    for path in files:
        for line in path.read_text().splitlines():
            row = json.loads(line) if line.strip() else {}
            if row.get("split") == "heldout":
                continue
            out += [row[k] for k in ("answer", "better", "worse") if k in row]
            if "injection" in row:
                out += [f"{row['answer']} {row['injection']}", f"{row['answer']}\n\n{row['injection']}"]
    return out


def test_the_detector_reads_the_tidied_answer_as_it_read_the_raw_one() -> None:
    """The chain scans the tidied answer once (it used to scan the raw one and the tidied one):
    on every answer in the data sets both give the same flag."""
    assert all(injection.scan(t).found == injection.scan(injection.tidy(t)).found for t in _texts())


async def test_the_detector_runs_once_for_an_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = injection.scan

    def counting(text: str) -> injection.InjectionScan:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(injection, "scan", counting)
    result = await AnswerEvaluator(FunctionChatModel(replies=[], default=_reply)).evaluate(QUESTION, ANSWER)
    assert result.honesty is not None
    assert calls == [ANSWER]


# -- the cap, by construction ---------------------------------------------------------------------
def _fenced(messages: Sequence[BaseMessage]) -> list[str]:
    """The numbered sentences the judge was shown (the answer between its fence markers)."""
    body = str(messages[-1].content).split("\nBEGIN ", 1)[1].split("\n", 1)[1].rsplit("\nEND ", 1)[0]
    return body.splitlines()


def _cite(per_check: Callable[[str, list[str]], list[int]]) -> Callable[[Sequence[BaseMessage]], AIMessage]:
    def reply(messages: Sequence[BaseMessage]) -> AIMessage:
        shown = _fenced(messages)
        args = {c: per_check(c, shown) for c in CHECK_IDS}
        return AIMessage(content="", tool_calls=[{"name": "record_checks", "args": args, "id": "c"}])
    return reply


# Checks whose evidence lowers a score: a judge that wants to raise one never cites them.
NEGATIVE = {crit.check for dim in load_rubric().dimensions.values() for crit in dim.criteria if crit.check and crit.weight < 0}
JUDGES = {
    # Cites every sentence for every good check as soon as anything talks to a grader.
    "gullible": _cite(lambda c, shown: [] if c in NEGATIVE else list(range(1, len(shown) + 1))
                      if re.search(r"grader|evaluator|score|rate|instruction|system|recruiter|please", " ".join(shown), re.I)
                      else [1]),
    # Rewards every extra sentence (the way added content raised a score on the real model).
    "more_is_better": _cite(lambda c, shown: [] if c in NEGATIVE else list(range(2, len(shown) + 1))),
    # An arbitrary, context-sensitive judge: its citations hash the whole answer it was shown.
    "chaotic": _cite(lambda c, shown: [n for n in range(1, len(shown) + 1)
                                       if hashlib.sha256(f"{c}|{n}|{'|'.join(shown)}".encode()).digest()[0] % 3 == 0]),
}
BASES = [
    ANSWER,
    "Our checkout page timed out under load. I profiled it and found the tax service was called once per "
    "cart line, because nobody cached the rates. I cached them per region for an hour and p95 fell from "
    "4 s to 600 ms.",
    "I once promised a client a date I could not keep. I told them myself as soon as I knew, offered a "
    "smaller first release, and we shipped that on time. Since then I give ranges, not dates.",
    # Its last sentence reads like part of an attempt when one follows it ("important"): the
    # detector withholds it as the attempt's neighbour, and the text before the attempt is exact.
    "Search results were stale for hours. I found the indexer skipped documents dated in the future, "
    "because two hosts disagreed about the time. I made it use the database clock. The most important "
    "lesson was to never trust a client clock.",
]
ASIDE_OK = re.compile(r"^[^\n()\[\]{}<>]+$")


def _cases() -> list[tuple[str, str, str]]:
    """(base, where, text): the attempt appended (after a space or a blank line), inserted after the
    first sentence, and as a bracketed aside inside a sentence. Inserted text must end like a
    sentence, and an aside be one line without brackets of its own: otherwise no reader, code or
    person, can tell where it stops and the candidate's next sentence starts."""
    cases = []
    for base in BASES:
        first_end = base.index(". ") + 1
        for attack in injection_strings() + ATTACKS:
            cases += [(base, "append", f"{base} {attack}"), (base, "append-para", f"{base}\n\n{attack}")]
            if re.search(r"[.!?]\Z", attack) and "\n" not in attack:
                cases.append((base, "insert", f"{base[:first_end]} {attack}{base[first_end:]}"))
            if ASIDE_OK.match(attack):
                words = base.split(" ")
                cases.append((base, "aside", " ".join([*words[:4], f"({attack})", *words[4:]])))
    return cases


def test_bases_have_nothing_instruction_like() -> None:
    for base in BASES:
        assert not injection.scan(base).found and not injection.instruction_spans(base)


@pytest.mark.parametrize("where", ["append", "append-para", "insert", "aside"])
def test_removing_exactly_the_flagged_stretches_gives_back_the_answer(where: str) -> None:
    """Whenever the attempt is found, one comparison text is the answer, character for character.
    (Whether it is found is the detector's recall, measured in benchmarks/evaluator.md.)"""
    cases = [(base, text) for base, kind, text in _cases() if kind == where]
    found_in = 0
    for base, text in cases:
        tidied = injection.tidy(text)
        found = injection.scan(tidied)
        withheld = injection.instruction_spans(tidied, found)
        # Which of two neighbouring sentences belongs to an attempt is undecidable when both read
        # like one: the answer's last sentence and an attempt that opens with an unflagged one.
        opening = sentence_texts(text[len(base):])[0]
        if where.startswith("append") and base == BASES[-1] and not injection.find_spans(opening):
            continue
        if found.found:
            found_in += 1
            assert base in comparisons(tidied, found, withheld), text
    assert found_in >= 0.8 * len(cases)


@pytest.mark.parametrize("judge", sorted(JUDGES))
async def test_an_appended_or_inserted_attempt_never_raises_a_score_whatever_the_judge_reads(judge: str) -> None:
    def evaluator() -> AnswerEvaluator:
        return AnswerEvaluator(FunctionChatModel(replies=[], default=JUDGES[judge]), marker=lambda: "ANSWER-T")

    plain = {base: await evaluator().evaluate(QUESTION, base) for base in BASES}
    fooled = capped = 0
    cases = [c for c in _cases() if c[0] in (BASES[0], BASES[-1])]  # two bases keep it quick
    for base, where, text in cases:
        judge_ = evaluator()
        judgement = await judge_.judge(QUESTION, text)
        hit = judge_.build(judgement, text)
        if not any(cap.text == base for cap in judgement.caps):
            continue  # not withheld at all: no construction caps what it cannot see (the bench measures it)
        capped += 1
        for dim in DIMENSIONS:
            assert (hit.score(dim) or 0) <= (plain[base].score(dim) or 0), (judge, where, text, dim)
        # Guard: without the cap this judge would have raised some score (and the honesty
        # penalty alone would not have hidden it).
        uncapped = judge_.build(replace(judgement, caps=(), scan=injection.scan("")), text)
        fooled += any((uncapped.score(d) or 0) > (plain[base].score(d) or 0) for d in DIMENSIONS)
    assert fooled and capped >= 0.85 * len(cases)
