"""Background scoring: answers are scored off the critical path, one judge request at a time.

The candidate waits for the interviewer, nobody waits for the evaluator: a score starts once the
next question has streamed, queues behind a semaphore (one judge server answers one request at a
time, so the evaluator's own deadline measures its work, not its wait), and lands in whichever
Session object the caller holds *now* for that interview (after a browser reload the app holds a
new one; a late score must go there, or the next save would write it back as pending).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

from interviewer.interview.cleanup import sanitize
from interviewer.interview.plan import EVALUATED_PHASES
from interviewer.resilience import user_message
from interviewer.session import EvalStatus, Evaluation, Session, Turn
from interviewer.tokens import truncate_to_tokens

log = logging.getLogger(__name__)


class Evaluator(Protocol):
    async def evaluate(self, question: str, answer: str) -> Evaluation: ...


@runtime_checkable
class PatientEvaluator(Protocol):
    """An evaluator that can try again itself when the model was busy (AnswerEvaluator)."""

    async def evaluate(self, question: str, answer: str) -> Evaluation: ...

    async def evaluate_patiently(self, question: str, answer: str, attempts: int = 3,
                                 backoff: float = 2.0) -> Evaluation: ...


OnEvaluation = Callable[[Session, Turn], Awaitable[None]]


class Scoring:
    """The queue of in-flight evaluations, per session id and turn id."""

    def __init__(self, evaluator: Evaluator | None, answer_token_budget: int, concurrency: int = 1) -> None:
        self.evaluator = evaluator
        self.answer_token_budget = answer_token_budget
        self._tasks: dict[str, dict[str, asyncio.Task[None]]] = {}  # session id -> turn id -> task
        self._live: dict[str, Session] = {}  # the object a caller holds now, per session id
        self._slots = max(1, concurrency)
        self._gate: asyncio.Semaphore | None = None  # created on first use, inside the loop

    def in_flight(self, session_id: str) -> dict[str, asyncio.Task[None]]:
        """Turn id -> task for this session's evaluations still running (a copy)."""
        return dict(self._tasks.get(session_id, {}))

    def adopt(self, session: Session) -> None:
        """The caller now holds this object for its interview (e.g. reloaded from the store):
        evaluations still in flight land in it."""
        if self._tasks.get(session.id):
            self._live[session.id] = session

    def start(self, session: Session, turn: Turn, on_evaluation: OnEvaluation | None, attempts: int = 1) -> None:
        """Score `turn` in the background (a no-op without an evaluator); with `attempts` > 1 a
        patient evaluator tries again when the model was unavailable."""
        if self.evaluator is None:
            return
        self._live[session.id] = session
        question = session.question_for(turn)
        turn.evaluation = Evaluation(status=EvalStatus.PENDING)
        task = asyncio.create_task(
            self._evaluate(session, turn, question.text if question else "", on_evaluation, attempts)
        )
        self._tasks.setdefault(session.id, {})[turn.id] = task

    async def _evaluate(
        self, session: Session, turn: Turn, question: str, on_evaluation: OnEvaluation | None, attempts: int
    ) -> None:
        assert self.evaluator is not None
        answer, _ = truncate_to_tokens(sanitize(turn.text), self.answer_token_budget)
        if self._gate is None:
            self._gate = asyncio.Semaphore(self._slots)
        try:
            async with self._gate:
                if attempts > 1 and isinstance(self.evaluator, PatientEvaluator):
                    evaluation = await self.evaluator.evaluate_patiently(question, answer, attempts=attempts)
                else:
                    evaluation = await self.evaluator.evaluate(question, answer)
        except Exception as exc:  # the contract says evaluators never raise; be safe anyway
            log.warning("evaluation failed: %r", exc)
            evaluation = Evaluation(status=EvalStatus.UNAVAILABLE, error=user_message(exc))
        current = self._live.get(session.id, session)
        recorded: tuple[Session, Turn] | None = None
        for target in [current] if current is session else [current, session]:  # newest first
            try:
                target.set_evaluation(turn.id, evaluation)
            except KeyError:
                continue  # this object never had the turn; nothing to record there
            if recorded is None:
                recorded = (target, next(t for t in target.turns if t.id == turn.id))
        pending = self._tasks.get(session.id, {})
        pending.pop(turn.id, None)
        if not pending:
            self._tasks.pop(session.id, None)
            self._live.pop(session.id, None)
        if recorded is not None and on_evaluation is not None:
            try:
                await on_evaluation(*recorded)
            except Exception:
                log.exception("on_evaluation callback failed")

    async def drain(self, session: Session, timeout: float | None = None) -> None:
        """Wait (at most `timeout` seconds) for this session's pending evaluations."""
        tasks = list(self._tasks.get(session.id, {}).values())
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)

    def unscored(self, session: Session) -> list[Turn]:
        """Answers in scored phases without an OK score and not being scored right now."""
        in_flight = self._tasks.get(session.id, {})
        return [t for t in self.scored_answers(session) if t.id not in in_flight and not _ok(t)]

    @staticmethod
    def scored_answers(session: Session) -> list[Turn]:
        """The answers that get a score (the warm-up and the candidate's questions don't)."""
        phases = {i.id: i.phase for i in session.plan}
        return [t for t in session.answers() if phases.get(t.question_id or "") in EVALUATED_PHASES]

    async def retry_unavailable(self, session: Session) -> int:
        """Re-run evaluations that failed or never ran; returns how many were re-run."""
        if self.evaluator is None:
            return 0
        self.adopt(session)
        todo = self.unscored(session)
        for turn in todo:
            self.start(session, turn, None)
        await self.drain(session)
        return len(todo)


def _ok(turn: Turn) -> bool:
    return turn.evaluation is not None and turn.evaluation.status is EvalStatus.OK
