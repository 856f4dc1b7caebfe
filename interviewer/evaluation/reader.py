"""The reader: scores from what the embedded model reads, not from what it writes (issue 24).

Why: asked to judge, the embedded 1.5B model ranked better over worse answers barely above chance
(benchmarks/evaluator.md); a linear head on its final-layer states for the same answers ranks them
far better, in one prompt pass with no token generated. So on the embedded backend each answer is
READ once (the fixed system line, the question, the answer sentence by sentence, then one short
branch per dimension: llm/state_reader.py) and a trained head (reader_head.py) turns the states
into a 1-5 score per dimension. Backends that expose no states (OpenAI and other remote APIs) keep
the generative judge (evaluator.py); `Evaluation.scorer` says which one scored an answer.

What it shares with the judge, by calling the same functions:
- the bound on how much of an answer is read (`bounded`, flagged `answer_cut`);
- injection handling: stretches that read like instructions to a grader are found, from the same
  read's sentence states, by the grader-aim probe (aim_head.py) when one is trained (with the
  stretches of `injection.instruction_spans` whose sentences it scores over its lowest bar), else
  by `injection.instruction_spans`, and the answer is also read without exactly them
  (`comparisons`; and without only the markup inside them, `spans.markup`), each dimension
  keeping the lowest score, so `answer + appended attempt` never
  scores above `answer`; neither the probe's nor the rules' stretches are quoted as evidence;
- MIN_WORDS: an answer with nothing to judge gets no score and no model call;
- failures become `Evaluation(status=UNAVAILABLE)`; `evaluate` never raises.
Evidence: the sentences whose states moved the score most, quoted whole and verbatim.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import httpx
import yaml
from pydantic import BaseModel, ConfigDict

from interviewer.evaluation import injection, signals, spans
from interviewer.evaluation.evaluator import bounded, comparisons, patiently
from interviewer.evaluation.aim_head import AimHead
from interviewer.evaluation.disguise import plain_letters
from interviewer.evaluation.reader_head import Head, ReadStates, sha256_text
from interviewer.evaluation.rubric import Rubric, load_rubric
from interviewer.evaluation.verdicts import (
    CUT_FLAG,
    INJECTION_ATTEMPT,
    INSUFFICIENT,
    MAX_QUOTE_WORDS,
    MIN_WORDS,
    quote_window,
)
from interviewer.resources import prompts_dir
from interviewer.session import DIMENSIONS, Dimension, EvalStatus, Evaluation
from interviewer.text import Span, sentences

SCORER = "reader"
READ_ROUTE = "/interviewer/read"
MAX_QUOTES = 2
RECENT_READS = 8  # reads kept: a read repeated soon (follow-up choice, then scoring) is not redone
# ChatML, the embedded model's template; candidate text is sent as plain text (never parsed for
# special tokens), so an answer cannot close it.
_OPEN = "<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{label}"
_CLOSE = "<|im_end|>\n<|im_start|>assistant\n"


class ReaderPrompt(BaseModel):
    """prompts/reader.yaml, validated."""

    model_config = ConfigDict(extra="forbid")
    version: int
    system: str
    question_label: str
    answer_label: str
    branches: dict[Dimension, str]

    @property
    def sha256(self) -> str:
        return sha256_text(self.model_dump_json())

    def request(self, question: str, answer: str) -> tuple[dict[str, Any], list[int], list[Span]]:
        """(request body, indexes of the answer's sentence pieces, those sentences' spans in
        `answer`, from the project's one splitter)."""
        pieces: list[dict[str, Any]] = [
            {"text": _OPEN.format(system=self.system, label=self.question_label), "special": True},
            {"text": question.strip()},
            {"text": self.answer_label},
        ]
        pooled: list[int] = []
        cut = sentences(answer)
        prev = 0
        for i, (start, end) in enumerate(cut):
            stop = len(answer) if i == len(cut) - 1 else end
            pooled.append(len(pieces))
            # Read in plain letters (disguise.py); the span stays the answer's own text.
            pieces.append({"text": plain_letters(answer[prev:stop]), "pool": True})
            prev = stop
        pieces.append({"text": _CLOSE, "special": True})
        branches = [{"text": self.branches[d], "special": False} for d in DIMENSIONS]
        return {"pieces": pieces, "branches": branches}, pooled, cut


@lru_cache(maxsize=1)
def load_reader_prompt() -> ReaderPrompt:
    path = prompts_dir() / "reader.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        return ReaderPrompt.model_validate(data)
    except Exception as exc:
        raise ValueError(f"{path}: {exc}") from exc


class StateSource(Protocol):
    async def read(self, body: dict[str, Any]) -> dict[str, Any]: ...


class HttpStates:
    """POST /interviewer/read on the evaluator's embedded server (its base URL ends in /v1)."""

    def __init__(self, base_url: str, timeout: float, before_request: Callable[[], None] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        root = base_url.rstrip("/")
        self.url = (root[: -len("/v1")] if root.endswith("/v1") else root) + READ_ROUTE
        self.timeout = timeout
        self.before_request = before_request
        self.transport = transport

    async def read(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.before_request is not None:
            await asyncio.to_thread(self.before_request)
        async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as client:
            response = await client.post(self.url, json=body)
            response.raise_for_status()
            data: dict[str, Any] = response.json()
            return data


@dataclass
class Read:
    """One text read: its sentences, states and, per dimension, the level and sentence shares."""

    text: str
    spans: list[Span]  # its sentences, in the order of the pooled pieces
    states: ReadStates
    raw: dict[Dimension, float]
    levels: dict[Dimension, int]
    shares: dict[Dimension, list[float]]


class ReaderEvaluator:
    """Scores answers from the embedded model's states; see the module docstring."""

    def __init__(self, source: StateSource, head: Head, *, prompt: ReaderPrompt | None = None,
                 rubric: Rubric | None = None, timeout: float | None = 300.0, aim: AimHead | None = None,
                 aim_prefix: bool = False, aim_parts: bool = True) -> None:
        self.source = source
        self.head = head
        self.aim = aim
        # When the probe flags, also cap by what the answer said before its first flagged sentence.
        self.aim_prefix = aim_prefix
        # Also read the answer without only the markup (tags, comments, bracketed asides) inside
        # the withheld sentences: an inline attempt with no full stop shares a sentence with the
        # candidate's next words, and the answer without that whole sentence is not the answer.
        # Training corpus, one author left out (session 21): attempts that raised a score 7 -> 5
        # of 642, innocent answers lowered 1 of 686 either way. Extending a withheld run to
        # neighbours over looser bars was measured too and gained nothing (7 at the 12 % bar).
        self.aim_parts = aim_parts
        self.prompt = prompt or load_reader_prompt()
        self.rubric = rubric or load_rubric()
        self.timeout = timeout
        self._recent: OrderedDict[tuple[str, str], Read] = OrderedDict()

    async def read(self, question: str, text: str) -> Read:
        """One read of `text` as the answer to `question`; the last few are kept, so the read the
        interviewer made to choose its follow-up (interview/probe_head.py) also scores the answer."""
        key = (question, text)
        if key in self._recent:
            self._recent.move_to_end(key)
            return self._recent[key]
        read = await self._read(question, text)
        self._recent[key] = read
        while len(self._recent) > RECENT_READS:
            self._recent.popitem(last=False)
        return read

    async def states(self, question: str, text: str) -> ReadStates:
        return (await self.read(question, text)).states

    async def _read(self, question: str, text: str) -> Read:
        body, pooled, sentence_spans = self.prompt.request(question, text)
        call: Awaitable[dict[str, Any]] = self.source.read(body)
        reply = await (asyncio.wait_for(call, self.timeout) if self.timeout else call)
        states = ReadStates.from_response(reply, pooled)
        raw = {d: self.head.raw(states, d) for d in DIMENSIONS}
        levels = {d: self.head.dims[d].level(raw[d]) for d in DIMENSIONS}
        shares = {d: self.head.contributions(states, d) for d in DIMENSIONS}
        return Read(text, sentence_spans, states, raw, levels, shares)

    def aimed(self, read: Read) -> list[Span]:
        """The sentences the grader-aim probe flags in this read (none without a probe)."""
        return [read.spans[i] for i in self.aim.aimed(read.states)] if self.aim is not None else []

    def kept_out(self, read: Read) -> list[Span]:
        """The sentences the cap reads the answer without, by the probe (a superset of `aimed`)."""
        return [read.spans[i] for i in self.aim.withheld(read.states)] if self.aim is not None else []

    def _chosen(self, read: Read, dim: Dimension, level: int, withheld: list[str]) -> list[int]:
        """The sentences that raised a good score most, or lowered a poor one most (never a
        stretch withheld as instruction-like)."""
        shares = read.shares[dim]
        sign = 1.0 if level >= 3 else -1.0
        ranked = sorted(range(len(shares)), key=lambda i: -sign * shares[i])
        out: list[int] = []
        for i in ranked:
            start, end = read.spans[i]
            sentence = read.text[start:end].strip()
            if sign * shares[i] <= 0 or not sentence or any(w in sentence or sentence in w for w in withheld):
                continue
            out.append(i)
            if len(out) == MAX_QUOTES:
                break
        return out

    @staticmethod
    def _quote(read: Read, index: int) -> str:
        """The sentence, verbatim, cut to its first MAX_QUOTE_WORDS words (marked " …") as the
        judge's quotes are (verdicts.quote_window)."""
        start, end = read.spans[index]
        quote = quote_window(read.text, (start, start), (start, end)).strip()
        return quote if len(read.text[start:end].split()) <= MAX_QUOTE_WORDS else quote + " …"

    def _shows(self, dim: Dimension, found: signals.TextSignals, spans_: list[Span], raised: bool) -> list[str]:
        """What the chosen sentences show, in the rubric's words: the criteria of this dimension
        whose text cue (signals.py, THE vocabulary) falls inside them, on the side that moved the
        score. Descriptive only: the score came from the states."""
        out: list[str] = []
        for crit in self.rubric.dimensions[dim].criteria:
            if crit.signal is None or (crit.weight > 0) != raised:
                continue
            hit = found[crit.signal]
            if hit.hit and any(a <= s < b for s, _e in hit.spans for a, b in spans_) and crit.met not in out:
                out.append(crit.met)
        return out

    def _rationale(self, dim: Dimension, level: int, capped: bool, shows: list[str], quote: str | None) -> str:
        """The level, its nearest anchor, then the sentence that moved the score most, quoted: the
        rationale is read on its own (the report's per-answer lines, the live score step), where
        "the quoted sentences" pointed at quotes shown elsewhere or not at all."""
        anchors = self.rubric.dimensions[dim].anchors
        nearest = min(anchors, key=lambda k: (abs(int(k) - level), -int(k)))
        text = f"{level}/5 (read by the trained reader); nearest level {nearest}: {anchors[nearest]}"
        if quote:  # none when no sentence moved the score that way: then nothing is claimed
            moved = f"{'Raised' if level >= 3 else 'Lowered'} most by \u201c{quote}\u201d"
            text += f" {moved}: there the answer {'; '.join(shows)}." if shows else f" {moved}."
        if capped:
            text += " Capped: the answer without its instruction-like text scored no higher."
        return text

    async def judge(self, question: str, answer: str) -> Evaluation:
        answer, cut = bounded(answer)
        text = injection.tidy(answer)
        scan = injection.scan(text)
        rules = injection.instruction_spans(text, scan)
        cut_flags = [CUT_FLAG] if cut else []
        if len(text.split()) < MIN_WORDS:
            return Evaluation(status=EvalStatus.OK, rationale={d.value: INSUFFICIENT for d in DIMENSIONS},
                              evidence={d.value: [] for d in DIMENSIONS}, attempts=0, scorer=SCORER,
                              flags=([INJECTION_ATTEMPT] if scan.found else []) + cut_flags)
        main = await self.read(question, text)
        aimed = self.aimed(main)
        # With a trained probe, the probe alone decides what is flagged, and mostly what the cap
        # reads the answer without; the rules' stretches are kept out of the quotes and withheld
        # only where the probe also scores their sentence over its lowest bar (AimHead.vetted). On
        # the training corpus (one author left out) the rules flagged 11 of 244 innocent look-alikes
        # where the probe flagged 2 (session 11), and when all the rules' stretches were cut for the
        # cap, 26 of the 30 innocent answers it lowered were lowered by them alone (session 14).
        # Vetted by the probe at the bar 6 % of innocent answers reach (session 21): attempts that
        # raised a score 6 -> 4 of 692, innocent answers lowered 2 -> 3 of 758 (all stretches:
        # 3 and 40).
        if self.aim is not None:
            withheld, cap_scan, accused = self.kept_out(main), injection.InjectionScan(text, text), bool(aimed)
            withheld = withheld + self.aim.vetted(main.states, main.spans, rules)
        else:
            withheld, cap_scan, accused = rules, scan, scan.found
        flags = ([INJECTION_ATTEMPT] if accused else []) + cut_flags
        scores = dict(main.levels)
        capped = {d: False for d in DIMENSIONS}
        attempts = 1
        others = comparisons(text, cap_scan, withheld)
        if self.aim_prefix and aimed:
            before = spans.tidy(text[: aimed[0][0]])
            if before != text and len(before.split()) >= MIN_WORDS and before not in others:
                others.append(before)
        if self.aim_parts and withheld:
            inner = [m for m in spans.markup(text) if any(a <= m[0] and m[1] <= b for a, b in withheld)]
            bare = spans.cut(text, inner) if inner else text
            if bare != text and bare not in others:
                others.append(bare)
        for other in others:
            if len(other.split()) < MIN_WORDS:
                continue
            cap = await self.read(question, other)
            attempts += 1
            for d in DIMENSIONS:
                if cap.levels[d] < scores[d]:
                    scores[d], capped[d] = cap.levels[d], True
        withheld_text = [spans.tidy(text[s:e]) for s, e in spans.merge([*rules, *withheld])]
        chosen = {d: self._chosen(main, d, scores[d], withheld_text) for d in DIMENSIONS}
        found = signals.compute(text)  # once per answer, for every dimension's rationale
        shows = {d: self._shows(d, found, [main.spans[i] for i in chosen[d]], scores[d] >= 3) for d in DIMENSIONS}
        quotes = {d.value: [self._quote(main, i) for i in chosen[d]] for d in DIMENSIONS}
        return Evaluation(
            status=EvalStatus.OK,
            honesty=scores[Dimension.HONESTY],
            root_cause=scores[Dimension.ROOT_CAUSE],
            storytelling=scores[Dimension.STORYTELLING],
            evidence=quotes,
            rationale={d.value: self._rationale(d, scores[d], capped[d], shows[d], next(iter(quotes[d.value]), None))
                       for d in DIMENSIONS},
            flags=flags,
            attempts=attempts,
            scorer=SCORER,
        )

    async def evaluate(self, question: str, answer: str) -> Evaluation:
        """Never raises: any failure becomes status=UNAVAILABLE with the reason in `error`."""
        try:
            return await self.judge(question or "", answer or "")
        except asyncio.CancelledError:
            raise
        except TimeoutError:
            return Evaluation(status=EvalStatus.UNAVAILABLE, error=f"reader timed out after {self.timeout} s",
                              attempts=1, scorer=SCORER)
        except Exception as exc:  # network errors, HTTP 4xx/5xx, a malformed reply
            return Evaluation(status=EvalStatus.UNAVAILABLE, error=f"{type(exc).__name__}: {str(exc)[:200]}",
                              attempts=1, scorer=SCORER)

    async def evaluate_patiently(self, question: str, answer: str, attempts: int = 3,
                                 backoff: float = 2.0) -> Evaluation:
        return await patiently(self.evaluate, question, answer, attempts, backoff)
