"""Scripted interviews (issue 16): play a candidate's fixed answers through the real engine and
judge the interviewer against written expectations. Shared by benchmarks/bench_conversation.py
(on the configured model) and tests/test_listening_cassettes.py (on recorded real output), so
both count a miss the same way.

A script is one JSON object: `persona`, the candidate's `answers` in order, and `expect`:
`not_asked` (plan question ids an earlier answer already answered: asking one is a miss) and
`probes` ({after: answer index, fits: probe kinds, or "move_on"}), written by the rules in
interviewer/interview/policy.py's docstring. The interview ends after the last answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from interviewer.interview.engine import InterviewEngine
from interviewer.interview.listening import covering
from interviewer.interview.plan import load_bank
from interviewer.session import Session, TurnKind


@dataclass
class Verdict:
    """One interview's misses against its script."""

    asked_again: list[str] = field(default_factory=list)  # planned questions asked after answered
    # Covered questions the script did not reach and code would still ask (coverage not seen).
    not_seen: list[str] = field(default_factory=list)
    fit: int = 0  # judged probes whose kind is in `fits`
    judged: int = 0  # probes asked where the script expected something
    missed: list[str] = field(default_factory=list)  # moved on where a probe was expected
    wrong: list[str] = field(default_factory=list)  # a probe of a kind the script does not allow

    def misses(self) -> list[str]:
        return (
            [f"asked again: {q}" for q in self.asked_again]
            + [f"would ask: {q}" for q in self.not_seen]
            + self.missed
            + self.wrong
        )


async def play(engine: InterviewEngine, script: dict[str, Any]) -> Session:
    """The interview the script's answers produce (opening line included)."""
    session = engine.new_session(script["persona"])
    [_ async for _ in engine.open(session)]
    for answer in script["answers"]:
        if session.finished:
            break
        [_ async for _ in engine.reply(session, answer)]
    return session


def judge(session: Session, script: dict[str, Any]) -> Verdict:
    """Compare what the interviewer did with what the script expects."""
    verdict = Verdict()
    answers = session.answers()
    bank = load_bank()
    for qid in script["expect"]["not_asked"]:
        item = next(i for i in session.plan if i.id == qid)
        if any(t.kind is TurnKind.QUESTION and t.question_id == qid for t in session.turns):
            verdict.asked_again.append(qid)
        elif item.skipped is None and covering(session, bank, item) is None:
            # Not reached yet: the interview ended first. It still counts only if code sees the
            # coverage now, so a script that stops early cannot pass by never getting there.
            verdict.not_seen.append(qid)
    for probe in script["expect"]["probes"]:
        if probe["after"] >= len(answers):
            continue
        index = session.turns.index(answers[probe["after"]])
        nxt = next((t for t in session.turns[index + 1 :] if t.role == "interviewer"), None)
        if nxt is None:
            continue
        if nxt.kind is TurnKind.PROBE:
            verdict.judged += 1
            if nxt.probe_kind in probe["fits"]:
                verdict.fit += 1
            else:
                verdict.wrong.append(
                    f"after answer {probe['after']}: {nxt.probe_kind} not in {probe['fits']} ({nxt.probe_reason})"
                )
        elif "move_on" not in probe["fits"]:
            verdict.missed.append(f"after answer {probe['after']}: moved on, expected {probe['fits']}")
    return verdict
