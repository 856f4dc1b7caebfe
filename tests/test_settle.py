"""Before the report: every score in, with a count the candidate can watch (issue 14, item 5)."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from contextlib import aclosing

from interviewer.interview.engine import InterviewEngine
from interviewer.interview.personas import PersonaLibrary
from interviewer.interview.settle import ScoringProgress
from interviewer.session import EvalStatus, Evaluation, Session
from testkit.chat_model import FunctionChatModel

ANSWER = "I profiled the consumer, found an N+1 query, added an index and a query-count test in CI."


def ok() -> Evaluation:
    return Evaluation(status=EvalStatus.OK, honesty=3, root_cause=3, storytelling=3, attempts=1)


class BusyEvaluator:
    """Unavailable on the first try of each answer (a loaded machine), scored when tried again.
    `evaluate_patiently` is what the settle step should use for the retry."""

    def __init__(self, delay: float = 0.01, recover: bool = True) -> None:
        self.delay = delay
        self.recover = recover
        self.tries: Counter[str] = Counter()
        self.patient_calls: list[int] = []

    async def evaluate(self, question: str, answer: str) -> Evaluation:
        self.tries[question] += 1
        await asyncio.sleep(self.delay)
        if self.tries[question] == 1 or not self.recover:
            return Evaluation(status=EvalStatus.UNAVAILABLE, error="The model took too long to answer.")
        return ok()

    async def evaluate_patiently(self, question: str, answer: str, attempts: int = 3,
                                 backoff: float = 2.0) -> Evaluation:
        self.patient_calls.append(attempts)
        evaluation = await self.evaluate(question, answer)
        for _ in range(1, attempts):
            if evaluation.status is EvalStatus.OK:
                break
            evaluation = await self.evaluate(question, answer)
        return evaluation


async def interview(evaluator: object, answers: int = 3) -> tuple[InterviewEngine, Session]:
    step = itertools.count()
    model = FunctionChatModel(default=lambda _m: f"What did you measure in step {next(step)}?")
    engine = InterviewEngine(model, PersonaLibrary.load(), evaluator)  # type: ignore[arg-type]
    session = engine.new_session("dour-cto", seed=1)
    async with aclosing(engine.open(session)) as events:
        async for _ in events:
            pass
    # Past the warm-up, which is not scored, then `answers` scored ones.
    while len(engine.scoring.scored_answers(session)) < answers:
        async with aclosing(engine.reply(session, ANSWER)) as events:
            async for _ in events:
                pass
    return engine, session


def test_progress_reads_as_plain_words() -> None:
    assert ScoringProgress(scored=2, total=9).text() == "Scoring answers: 2 of 9 done…"
    assert ScoringProgress(scored=7, total=9, retrying=2).text() == "Scoring answers: 7 of 9 done; trying 2 again…"
    assert ScoringProgress(scored=9, total=9, finished=True).text() == "All 9 answers scored."
    done = ScoringProgress(scored=8, total=9, finished=True).text()
    assert done.startswith("8 of 9 answers scored; 1 could not be scored")
    assert not any(c in ScoringProgress(scored=1, total=2).text() for c in "_*`")


async def test_waits_for_scores_in_flight_and_counts_them_as_they_land() -> None:
    evaluator = BusyEvaluator(delay=0.05)
    engine, session = await interview(evaluator)
    seen: list[ScoringProgress] = []

    async def show(progress: ScoringProgress) -> None:
        seen.append(progress)

    final = await engine.settle_scores(session, show, timeout=10)
    assert final == ScoringProgress(scored=3, total=3, finished=True)
    assert seen[-1] == final and seen[0].scored < 3 and not seen[0].finished
    assert [p.scored for p in seen] == sorted(p.scored for p in seen)  # the count only goes up
    assert any(p.retrying for p in seen)  # the retries were on screen
    assert evaluator.patient_calls and all(n > 1 for n in evaluator.patient_calls)
    assert all(t.evaluation and t.evaluation.status is EvalStatus.OK for t in engine.scoring.scored_answers(session))


async def test_an_answer_still_unavailable_after_the_retries_is_counted_as_missing() -> None:
    engine, session = await interview(BusyEvaluator(recover=False), answers=2)
    final = await engine.settle_scores(session, timeout=10)
    assert final == ScoringProgress(scored=0, total=2, finished=True)
    assert "2 could not be scored" in final.text()


async def test_the_wait_is_bounded() -> None:
    engine, session = await interview(BusyEvaluator(delay=30), answers=1)
    started = asyncio.get_running_loop().time()
    final = await engine.settle_scores(session, timeout=0.2)
    assert asyncio.get_running_loop().time() - started < 2
    assert final.finished and final.missing == 1
    for task in engine.scoring.in_flight(session.id).values():
        task.cancel()


async def test_nothing_to_wait_for_reports_at_once() -> None:
    engine, session = await interview(BusyEvaluator(), answers=1)
    await engine.settle_scores(session, timeout=10)
    seen: list[ScoringProgress] = []

    async def show(progress: ScoringProgress) -> None:
        seen.append(progress)

    await engine.settle_scores(session, show, timeout=10)
    assert seen == [ScoringProgress(scored=1, total=1, finished=True)]
    assert seen[0].text() == "Your answer is scored."
