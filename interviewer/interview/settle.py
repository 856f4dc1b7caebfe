"""Waiting for every score before the report is final, with a count the candidate can watch.

Scoring runs in the background and may fall behind on a busy machine, and a judge call that timed
out leaves an answer "unavailable". At the end of an interview the report should not quietly
carry those gaps: `settle` waits for the scores still being computed, tries each unavailable one
again (patiently: the evaluator retries with backoff), and reports the count after every change,
so a UI can show "Scoring answers: 2 of 9 done…" instead of a silent wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from interviewer.interview.scoring import Scoring
from interviewer.session import EvalStatus, Session

RETRY_ATTEMPTS = 3  # per unavailable answer at the end (the first try already happened)


@dataclass(frozen=True, slots=True)
class ScoringProgress:
    """How far scoring is for one interview; `finished` once nothing more will be waited for."""

    scored: int
    total: int
    retrying: int = 0
    finished: bool = False

    @property
    def missing(self) -> int:
        return self.total - self.scored

    def text(self) -> str:
        """Plain words for the candidate (no markdown: it may be shown while it changes)."""
        plural = "answer" if self.total == 1 else "answers"
        if self.finished:
            if not self.missing:
                return f"All {self.total} {plural} scored." if self.total != 1 else "Your answer is scored."
            return (
                f"{self.scored} of {self.total} {plural} scored; {self.missing} could not be scored "
                "(the model was unavailable), and the report says so."
            )
        again = f"; trying {self.retrying} again" if self.retrying else ""
        return f"Scoring {plural}: {self.scored} of {self.total} done{again}…"


OnProgress = Callable[[ScoringProgress], Awaitable[None]]


def progress(scoring: Scoring, session: Session, retried: set[str] | frozenset[str] = frozenset()) -> ScoringProgress:
    answers = scoring.scored_answers(session)
    ok = {t.id for t in answers if t.evaluation is not None and t.evaluation.status is EvalStatus.OK}
    busy = scoring.in_flight(session.id)
    return ScoringProgress(
        scored=len(ok),
        total=len(answers),
        retrying=sum(1 for t in answers if t.id in retried and t.id in busy),
    )


async def settle(
    scoring: Scoring,
    session: Session,
    on_progress: OnProgress | None = None,
    *,
    timeout: float | None = None,
    attempts: int = RETRY_ATTEMPTS,
) -> ScoringProgress:
    """Wait (at most `timeout` seconds) until every answer is scored; each answer still without a
    score once its first evaluation is done is tried again once more, `attempts` times patiently.
    `on_progress` hears every change of the count, and the final state (`finished=True`)."""
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    scoring.adopt(session)
    retried: set[str] = set()
    shown: ScoringProgress | None = None

    async def tell(state: ScoringProgress) -> None:
        nonlocal shown
        if on_progress is not None and state != shown:
            shown = state
            await on_progress(state)

    while True:
        tasks = scoring.in_flight(session.id)
        if not tasks:
            todo = [t for t in scoring.unscored(session) if t.id not in retried]
            if not todo or scoring.evaluator is None:
                break
            for turn in todo:
                retried.add(turn.id)
                scoring.start(session, turn, None, attempts=attempts)
            continue
        await tell(progress(scoring, session, retried))
        remaining = None if deadline is None else deadline - loop.time()
        if remaining is not None and remaining <= 0:
            break
        await asyncio.wait(tasks.values(), timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
    final = replace(progress(scoring, session, retried), retrying=0, finished=True)
    await tell(final)
    return final
