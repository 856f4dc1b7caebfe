"""Drive an InterviewEngine like a candidate would, timing every turn: shared by the fault soak
(tests/test_soak.py) and the benchmarks, so both measure the same thing.

A "crash" is any exception escaping `open`/`reply`/`resume_question`: the engine promises to turn
model failures into NoticeEvent(level="error") instead, so the soak asserts there are none.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from interviewer.session import Session, Turn

STORY_PARTS = (
    "At my last job our checkout service started timing out every Friday evening.",
    "I looked at the slow query log and the EXPLAIN plan and found a missing index on orders.",
    "I added the index, wrote a regression test, and set an alert on p95 latency.",
    "Latency dropped from 4 seconds to 300 ms and we stopped losing about 2% of orders.",
    "I learned to check the query plan before blaming the network.",
    "Honestly I did not know much about Postgres internals then, so I read the docs that weekend.",
    "My part was the diagnosis; a colleague rolled out the change to production.",
)


def sample_answer(session_index: int, turn_index: int, words: int | None = None) -> str:
    """A plausible, unique answer (the marker proves which turn it belongs to)."""
    n = 2 + (session_index + turn_index) % (len(STORY_PARTS) - 1)
    text = " ".join(STORY_PARTS[(turn_index + i) % len(STORY_PARTS)] for i in range(n))
    if words:
        filler = (text + " ") * (words // max(1, len(text.split())) + 1)
        text = " ".join(filler.split()[:words])
    return f"[s{session_index}-t{turn_index}] {text}"


@dataclass
class TurnTiming:
    first_token: float | None = None  # seconds from sending the answer to the first token
    question_done: float | None = None  # seconds until the interviewer turn was complete
    error: bool = False  # the engine reported a model failure for this step
    resumed: int = 0  # resume_question calls it took to get a question


@dataclass
class DriveResult:
    session: Session
    sent_answers: list[str] = field(default_factory=list)
    timings: list[TurnTiming] = field(default_factory=list)
    notices: list[Any] = field(default_factory=list)
    crashes: list[BaseException] = field(default_factory=list)


async def _consume(events: AsyncIterator[Any], started: float, timing: TurnTiming, result: DriveResult) -> bool:
    """Read one event stream; True when an interviewer turn arrived."""
    from interviewer.interview.events import NoticeEvent, TokenEvent, TurnEvent

    asked = False
    async for event in events:
        now = time.perf_counter() - started
        if isinstance(event, TokenEvent):
            if timing.first_token is None and event.text:
                timing.first_token = now
        elif isinstance(event, TurnEvent):
            if event.turn.role == "interviewer":
                timing.question_done = now
                asked = True
        elif isinstance(event, NoticeEvent):
            result.notices.append(event)
            if event.level == "error":
                timing.error = True
    return asked


async def _step(
    make_events: Callable[[], AsyncIterator[Any]], engine: Any, session: Session, result: DriveResult,
    max_resumes: int,
) -> TurnTiming:
    timing = TurnTiming()
    started = time.perf_counter()
    try:
        asked = await _consume(make_events(), started, timing, result)
        resume = getattr(engine, "resume_question", None)
        while not asked and timing.error and resume is not None and timing.resumed < max_resumes:
            timing.resumed += 1
            asked = await _consume(resume(session), started, timing, result)
    except Exception as exc:  # noqa: BLE001 - counting crashes is the point
        result.crashes.append(exc)
    return timing


async def drive_interview(
    engine: Any,
    session: Session,
    answers: Sequence[str],
    *,
    on_evaluation: Callable[[Session, Turn], Awaitable[None]] | None = None,
    max_resumes: int = 3,
    open_session: bool = True,
    think: Callable[[], float] | None = None,
) -> DriveResult:
    """Open the interview, then send each answer in turn until the interview is over (a real
    candidate stops when the interviewer says goodbye); never raises."""
    result = DriveResult(session=session)
    if open_session:
        result.timings.append(await _step(lambda: engine.open(session), engine, session, result, max_resumes))
    for answer in answers:
        if session.finished:
            break
        if think is not None:  # the candidate reads the question and types (seconds)
            await asyncio.sleep(think())
        result.sent_answers.append(answer)
        result.timings.append(
            await _step(functools.partial(engine.reply, session, answer, on_evaluation), engine, session,
                        result, max_resumes)
        )
    return result


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (no numpy needed)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(round(pct / 100 * len(ordered) + 0.5))))
    return ordered[rank - 1]
