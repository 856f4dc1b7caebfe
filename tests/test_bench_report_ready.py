"""The plumbing of benchmarks/bench_report_ready.py (issue 14: /end -> report), without a model:
the typing simulation's prewarm schedule, and that a whole interview + /end through the same
engine, settle and report code counts what was scored at /end, the retries and the misses."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

from interviewer.interview.engine import InterviewEngine
from interviewer.interview.personas import PersonaLibrary
from testkit.chat_model import FunctionChatModel

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import bench_report_ready as bench  # noqa: E402
from test_settle import BusyEvaluator  # noqa: E402


def test_prewarms_every_two_seconds_of_typing_with_a_growing_draft_and_none_at_enter() -> None:
    plan = bench.typing_plan(words=100, typing_s=27.0)
    assert [at for at, _ in plan] == [2.0 * k for k in range(1, 14)]
    typed = [n for _, n in plan]
    assert typed == sorted(set(typed)) and 0 < typed[0] and typed[-1] < 100
    assert bench.typing_plan(words=100, typing_s=1.9) == []  # Enter before the page's 2 s
    # Slow typing: a draft that did not grow is not sent again (prewarm.js skips lastSent).
    assert [n for _, n in bench.typing_plan(words=3, typing_s=12.0)] == [1, 2]


def test_answers_are_60_to_200_words() -> None:
    assert len(bench.ANSWERS) >= 10
    assert all(60 <= len(a.split()) <= 200 for a in bench.ANSWERS)


async def test_interview_and_end_count_scores_retries_and_misses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "PREWARM_EVERY_S", 0.2)
    step = itertools.count()
    model = FunctionChatModel(default=lambda _m: f"What did you measure in step {next(step)}?")
    watch = bench.ScoringWatch(BusyEvaluator(delay=0.01))  # unavailable first, scored when retried
    engine = InterviewEngine(model, PersonaLibrary.load(), watch, prewarm=True)  # type: ignore[arg-type]
    session = engine.new_session("dour-cto", seed=1)
    async for _ in engine.open(session):
        pass
    landed: dict[str, float] = {}
    rows = [await bench.candidate_turn(engine, session, answer, 1.0, landed) for answer in bench.ANSWERS[:3]]
    assert all(r["prewarms"].get("sent", 0) + r["prewarms"].get("queued", 0) >= 3 for r in rows)
    assert all(r["question_to_enter_s"] >= 1.0 and r["first_words_s"] is not None for r in rows)
    await engine.drain(session)
    at_end = bench.scoring_state(engine.scoring, session)
    assert at_end["unavailable"] == at_end["scored_answers"] > 0 and at_end["scored"] == 0
    ended = await bench.end_to_report(engine, session, report_model=None)
    assert ended["final"] == {"scored": at_end["scored_answers"], "total": at_end["scored_answers"], "missing": 0}
    assert watch.retries == at_end["scored_answers"]  # settle retried each one, patiently
    assert ended["progress"][-1].endswith("answers scored.") and ended["renders_failed"] == []
    assert {r["_turn"] for r in rows} >= set(landed)


async def test_end_times_the_report_on_screen_and_the_rewrites_separately() -> None:
    """As the app: the report on screen (extractive rewrites) first, the model's rewrites after."""
    import asyncio

    from langchain_core.messages import AIMessage

    class SlowRewriter:
        async def ainvoke(self, prompt: object) -> AIMessage:
            await asyncio.sleep(0.3)
            return AIMessage(content="Situation: I was on call.\nAction: I found it.\n"
                                     "Result: It was fixed.\nLesson: I learned to check first.")

    step = itertools.count()
    model = FunctionChatModel(default=lambda _m: f"What did you measure in step {next(step)}?")
    engine = InterviewEngine(model, PersonaLibrary.load(), BusyEvaluator(delay=0.01))  # type: ignore[arg-type]
    session = engine.new_session("dour-cto", seed=1)
    async for _ in engine.open(session):
        pass
    for answer in bench.ANSWERS[:3]:
        async for _ in engine.reply(session, answer):
            pass
    ended = await bench.end_to_report(engine, session, report_model=SlowRewriter())
    assert ended["rewrites"] and ended["rewrites_s"] >= 0.3 * len(ended["rewrites"]) - 0.05
    assert ended["end_to_rewrites_done_s"] >= ended["end_to_report_s"] + ended["rewrites_s"] - 0.1
    assert ended["renders_failed"] == [] and ended["final"]["missing"] == 0
