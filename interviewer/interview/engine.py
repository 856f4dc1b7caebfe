"""The interview engine: the turn loop. Code decides every move, the model phrases it.

One turn: the answer is recorded (and yielded) first; its facts go into the claim ledger
(`reconcile`, milliseconds), so a contradiction can be asked about next; the reader's reading of
it (`reading`, mostly done while it was typed) says what it lacks; `moves` decides in code whether
to probe (which kind, for which dimension, who on the panel asks) or move on; the model phrases
that one move from a prefix-stable prompt (`prompt_assembly`); `wording` keeps the model's line,
repaired where it can be, draws again (up to twice) when a draw is unusable before any of it was
shown, and falls back to the persona's template only when it is unusable, leaks, is off topic or
repeats a question (each turn records which). Its evaluation then starts in the background
(`scoring`). Before the next planned question, `moves` skips the ones already answered.

Every nested event stream is iterated under `aclosing`: an `async for` left early (the caller
stopped listening, its task was cancelled) does not close the generator it iterates, and the
garbage collector would then close it, and the model's HTTP stream inside, in a task of its own.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from interviewer.interview import prompt_assembly, reconcile, wording
from interviewer.interview.cleanup import StreamFilter, sanitize
from interviewer.interview.events import Event, NoticeEvent, TokenEvent, TurnEvent
from interviewer.interview.moves import Move, Moves, panel_speakers
from interviewer.interview.personas import Persona, PersonaLibrary
from interviewer.interview.plan import EVALUATED_PHASES, QuestionBank, build_plan, load_bank
from interviewer.interview.probe_head import KindReader, KindReading
from interviewer.interview.reading import Readings
from interviewer.interview.prewarm import Prewarmer, PrewarmStatus, awaiting_answer
from interviewer.interview.scoring import Evaluator, OnEvaluation, Scoring
from interviewer.interview.settle import OnProgress, ScoringProgress, settle
from interviewer.resilience import stream_with_deadlines, user_message
from interviewer.session import CandidateContext, EvalStatus, Evaluation, Session, Speaker, Turn, TurnKind
from interviewer.tokens import truncate_to_tokens

__all__ = ["Evaluator", "InterviewEngine", "OnEvaluation", "PrewarmStatus", "panel_speakers"]

log = logging.getLogger(__name__)


class InterviewEngine:
    """Runs interviews for any persona; stateless apart from in-flight evaluation tasks."""

    def __init__(
        self,
        model: BaseChatModel,
        personas: PersonaLibrary,
        evaluator: Evaluator | None = None,
        *,
        answer_token_budget: int = 1200,
        history_token_budget: int = 1800,
        bank: QuestionBank | None = None,
        first_token_timeout: float | None = 90.0,
        total_timeout: float | None = 180.0,
        evaluation_concurrency: int = 1,
        prewarm: bool = False,
        kind_reader: KindReader | None = None, kind_read_wait: float = 0.0, spoken_read_wait: float = 0.0,
    ) -> None:
        self.model = model
        self.personas = personas
        self.evaluator = evaluator
        self.answer_token_budget = answer_token_budget
        self.history_token_budget = history_token_budget
        self.bank = bank or load_bank()
        self.moves = Moves(self.bank)
        self.scoring = Scoring(evaluator, answer_token_budget, evaluation_concurrency)
        self.first_token_timeout = first_token_timeout
        self.total_timeout = total_timeout
        # Off unless the caller knows the model is the embedded one (Settings.prewarm_enabled).
        self.prewarmer = Prewarmer(model, enabled=prewarm)
        # The reader's follow-up choice (policy rule R), read while typed; else rule L (see `reading`).
        self.readings = Readings(kind_reader, answer_token_budget, kind_read_wait)
        # A spoken answer is known only at mic off: its reading is awaited this long, behind the
        # persona's `heard` line said at once (0: the rules stand in at once, as for typed answers).
        self.spoken_read_wait = spoken_read_wait

    # -- sessions -----------------------------------------------------------------------------
    def new_session(
        self,
        persona_id: str,
        context: CandidateContext | None = None,
        user_id: str = "local",
        seed: int | None = None,
    ) -> Session:
        persona = self.personas.get(persona_id)
        session = Session(
            user_id=user_id,
            persona=persona.id,
            context=context or CandidateContext(),
            plan=build_plan(persona, self.bank, seed),
        )
        reconcile.read_resume(session)  # the résumé's facts open the claim ledger
        return session

    def switch_persona(self, session: Session, persona_id: str) -> None:
        """Continue with another interviewer; transcript, plan position and scores are kept."""
        persona = self.personas.get(persona_id)  # KeyError names the known personas
        if persona.id == session.persona:
            return
        session.switch_persona(persona.id)
        text = f"{persona.name} takes over the interview from here. Everything so far is kept."
        session.add_turn(Turn(role="system", kind=TurnKind.NOTICE, text=text))

    # -- the conversation ---------------------------------------------------------------------
    async def open(self, session: Session) -> AsyncGenerator[Event, None]:
        """Greeting and the first question (streamed)."""
        if any(t.role == "interviewer" for t in session.turns):
            async with aclosing(self.resume_question(session)) as events:
                async for event in events:
                    yield event
            return
        if not session.plan:
            yield NoticeEvent("This interview has no questions planned.", "error")
            return
        persona = self._persona(session)
        item = session.plan[session.position]
        move = self.moves.question(session, persona, item, first=True)
        with self.prewarmer.hold(session.id):
            async with aclosing(self._speak(session, persona, move)) as events:
                async for event in events:
                    yield event

    async def reply(
        self, session: Session, answer: str, on_evaluation: OnEvaluation | None = None, *, spoken: bool = False
    ) -> AsyncGenerator[Event, None]:
        """Record the answer, score it in the background, and ask the next question. A spoken
        answer (`spoken`) is its transcript, scored like typed text and marked in the report."""
        self.adopt(session)
        persona = self._persona(session)
        if session.finished:
            yield NoticeEvent("The interview is over; your report is ready.", "info")
            return
        text = answer if isinstance(answer, str) else str(answer)
        for_model = sanitize(text)
        if not for_model:
            async with aclosing(self._reprompt(session, persona)) as events:
                async for event in events:
                    yield event
            return
        item = self.moves.current_item(session)
        cut, truncated = truncate_to_tokens(for_model, self.answer_token_budget)
        turn = session.add_turn(Turn(role="candidate", kind=TurnKind.ANSWER, text=text, spoken=spoken,
                                     question_id=item.id if item else None, truncated_for_model=truncated))
        yield TurnEvent(turn)
        reconcile.record_safely(session, turn)
        if truncated:
            yield NoticeEvent(
                f"Your answer is long: the interviewer reads its first {self.answer_token_budget} tokens. "
                "The whole answer is kept in the transcript and the report.",
                "warning",
            )
        evaluate = item is not None and item.phase in EVALUATED_PHASES and self.evaluator is not None
        if evaluate:
            turn.evaluation = Evaluation(status=EvalStatus.PENDING)
        try:
            # No prewarm for this session while its real request is made (see `prewarm`).
            with self.prewarmer.hold(session.id):
                request, opener, wait = self.moves.reading_thread(session, item), "", None
                if spoken and self.spoken_read_wait > 0 and not self.readings.ready(session.id, request):
                    opener = persona.phrases.in_turn(persona.phrases.heard, len(session.answers()))
                    wait, speaker = self.spoken_read_wait, self.moves.last_speaker(session)
                    yield TokenEvent(opener + " ", speaker.name if speaker else None, pause=True)
                reading = await self.readings.at_enter(session.id, request, wait)
                async with aclosing(self._next(session, persona, reading, opener)) as events:
                    async for event in events:
                        yield event
        finally:
            # Scored only once the next question has streamed: building the evaluator's request
            # costs CPU on this event loop, and the candidate is reading by now (benchmark 2).
            if evaluate:
                self.scoring.start(session, turn, on_evaluation)

    async def resume_question(self, session: Session) -> AsyncGenerator[Event, None]:
        """After a failed model call: ask the question that is owed (the answer is already kept)."""
        self.adopt(session)
        if session.finished:
            return
        spoken = [t for t in session.turns if t.role != "system"]
        if not spoken:
            async with aclosing(self.open(session)) as events:
                async for event in events:
                    yield event
            return
        if spoken[-1].role == "candidate":
            with self.prewarmer.hold(session.id):
                async with aclosing(self._next(session, self._persona(session))) as events:
                    async for event in events:
                        yield event

    async def finish(self, session: Session, opener: str = "") -> AsyncGenerator[Event, None]:
        """End the interview now (the candidate asked to stop, or a rehearsal ran out of answers).
        `opener`: words already shown and said before this line (see `_speak`)."""
        if session.finished:
            return
        persona = self._persona(session)
        close = next((i for i in session.plan if i.phase == "close"), None)
        with self.prewarmer.hold(session.id):
            async with aclosing(self._speak(session, persona, self.moves.closing(session, persona, close),
                                            opener)) as events:
                async for event in events:
                    yield event

    # -- reading while the candidate types (see `interviewer.interview.prewarm`) -----------------
    async def prewarm(self, session: Session, draft: str) -> PrewarmStatus:
        """Let the server read the next request's beginning (system prompt, transcript, `draft` as
        the candidate's line) while they type; returns at once (rules: `interview.prewarm`); the
        reader reads the draft too (`interview.reading`)."""
        if awaiting_answer(session):
            self.readings.offer(session.id, self.moves.reading_thread(session, self.moves.current_item(session), draft))
        if not self.prewarmer.enabled:
            return "off"
        if not awaiting_answer(session):
            return "idle"

        def build() -> list[BaseMessage] | None:
            # Built when sent, not when offered: the question may have changed in between.
            if not awaiting_answer(session):
                return None
            return self.prefix_messages(session, self._persona(session), draft)

        return self.prewarmer.offer(session.id, build)

    async def prewarm_settled(self, session: Session) -> None:
        """Wait for this session's prewarm in flight (and the one waiting), if any."""
        await self.prewarmer.settle(session.id)

    # -- evaluations (delegated to the background scorer) ---------------------------------------
    def adopt(self, session: Session) -> None:
        """The caller now holds this object for its interview: evaluations in flight land in it.
        Called by every public entry point."""
        self.scoring.adopt(session)

    async def drain(self, session: Session, timeout: float | None = None) -> None:
        """Wait (at most `timeout` seconds) for this session's pending evaluations."""
        await self.scoring.drain(session, timeout)

    async def settle_scores(
        self, session: Session, on_progress: OnProgress | None = None, *, timeout: float | None = None
    ) -> ScoringProgress:
        """Before the report: wait for every score, retrying unavailable ones (see `settle`)."""
        return await settle(self.scoring, session, on_progress, timeout=timeout)

    async def retry_unavailable(self, session: Session) -> int:
        """Re-run evaluations that failed or never ran; returns how many were re-run."""
        return await self.scoring.retry_unavailable(session)

    # -- deciding the next move -----------------------------------------------------------------
    async def _next(self, session: Session, persona: Persona, reading: KindReading | None = None,
                    opener: str = "") -> AsyncGenerator[Event, None]:
        item = self.moves.current_item(session)
        if item is None:
            async with aclosing(self.finish(session, opener)) as events:
                async for event in events:
                    yield event
            return
        move: Move | None = None
        if item.phase == "your_questions":
            move = self.moves.candidate_question(session, persona, item)
        elif item.phase in EVALUATED_PHASES:
            move = self.moves.probe(session, persona, item, reading)
        if move is None:
            move = self.moves.advance(session, persona)
        async with aclosing(self._speak(session, persona, move, opener)) as events:
            async for event in events:
                yield event

    async def _reprompt(self, session: Session, persona: Persona) -> AsyncGenerator[Event, None]:
        """An empty answer: a gentle nudge in the persona's words; no question is consumed."""
        yield NoticeEvent("Your answer was empty; take your time and answer when you're ready.", "info")
        count = sum(1 for t in session.turns if t.kind is TurnKind.REPROMPT)
        text = persona.phrases.in_turn(persona.phrases.reprompt, count)
        item = self.moves.current_item(session)
        member = self.moves.speaker(persona, item, None)
        speaker = self.moves.last_speaker(session) or Speaker(name=member.name, role=member.role)
        turn = session.add_turn(Turn(role="interviewer", kind=TurnKind.REPROMPT, text=text, speaker=speaker,
                                     question_id=item.id if item else None, wording="template"))
        yield TurnEvent(turn)

    # -- speaking -----------------------------------------------------------------------------
    async def _speak(self, session: Session, persona: Persona, move: Move, opener: str = "") -> AsyncGenerator[Event, None]:
        """Phrase `move` with the model (streamed), post-process it, record the turn. `opener`
        (already yielded: the `heard` line) begins the turn's text."""
        own = self._prefix(session, persona, move)
        if own:
            yield TokenEvent(own + " ", move.speaker.name)
        prefix = f"{opener} {own}".strip()
        messages = self.messages(session, persona, move)
        names = [m.name for m in persona.interviewers]
        said = [prefix, *persona.phrases.greeting, *(m.intro for m in persona.interviewers)]
        for seed in wording.RESAMPLE_SEEDS:
            flt = StreamFilter(move.mode, names, list(move.private))
            try:
                async with aclosing(self._phrase(messages, flt, seed)) as pieces:
                    async for shown in pieces:
                        yield TokenEvent(shown, move.speaker.name)
            except Exception as exc:  # timeouts, refused connections, 429/500 after retries, ...
                log.warning("interviewer model call failed: %r", exc)
                yield NoticeEvent(f"The interviewer could not reply. {user_message(exc)}", "error")
                return
            if seed == wording.RESAMPLE_SEEDS[-1] or not wording.resample(session, move, flt, names, said):
                break
        line = wording.choose(session, move, flt.raw, flt.leaked, names, said)
        if line is None:  # every phrasing repeats an earlier question: skip this probe
            async with aclosing(self._skip_probe(session, persona, move, opener)) as events:
                async for event in events:
                    yield event
            return
        move.apply()
        decision = move.decision
        turn = session.add_turn(
            Turn(
                id=move.turn_id,
                role="interviewer",
                kind=move.kind,
                text=f"{prefix} {line.text}".strip(),
                speaker=Speaker(name=move.speaker.name, role=move.speaker.role),
                question_id=move.item.id if move.item else None,
                probe_reason=decision.reason if decision else None,
                probe_kind=decision.kind if decision else None,
                target_dimension=decision.dimension if decision else None,
                wording=line.wording,
            )
        )
        yield TurnEvent(turn)

    async def _phrase(
        self, messages: list[BaseMessage], flt: StreamFilter, seed: int | None
    ) -> AsyncGenerator[str, None]:
        """Stream one phrasing through `flt`, yielding what may be shown; stop once it is enough."""
        # No seed on the first try: the server's own sampling, and the request stays the one the
        # prewarm and the cassettes know. A fixed seed on a resample: another draw, replayable.
        extra: dict[str, Any] = {} if seed is None else {"seed": seed}
        stream = stream_with_deadlines(self.model.astream(messages, **extra), first_item_timeout=self.first_token_timeout,
                                       total_timeout=self.total_timeout, what="the interviewer model")
        # aclosing: leaving early (one question is enough) closes the HTTP stream here, in this
        # task, instead of in a garbage-collector finaliser somewhere else.
        async with aclosing(stream):
            async for chunk in stream:
                shown = flt.feed(chunk.content if isinstance(chunk.content, str) else "")
                if shown:
                    yield shown
                if flt.done:
                    break

    async def _skip_probe(self, session: Session, persona: Persona, move: Move,
                          opener: str = "") -> AsyncGenerator[Event, None]:
        """Record the probe kind as spent (no turn) and decide again without it."""
        if move.item is None or move.decision is None:
            return
        move.item.probes += 1
        # A spent probe kind is remembered through a system note so the policy skips it next time.
        session.add_turn(
            Turn(
                role="system",
                kind=TurnKind.NOTICE,
                text="(follow-up skipped: it would repeat an earlier question)",
                question_id=move.item.id,
                probe_kind=move.decision.kind,
            )
        )
        async with aclosing(self._next(session, persona, move.reading, opener)) as events:
            async for event in events:
                yield event

    def _prefix(self, session: Session, persona: Persona, move: Move) -> str:
        """Greeting (first turn) and the panellist's self-introduction the first time they speak."""
        parts = [move.prefix] if move.prefix else []
        spoken = any(
            t.speaker is not None and t.speaker.name == move.speaker.name and t.persona == persona.id
            for t in session.turns
        )
        if not spoken:
            parts.append(move.speaker.intro)
        return " ".join(parts)

    def messages(self, session: Session, persona: Persona, move: Move) -> list[BaseMessage]:
        """The request for one move (see `interviewer.interview.prompt_assembly`)."""
        return prompt_assembly.messages(session, persona, move, answer_token_budget=self.answer_token_budget,
                               history_token_budget=self.history_token_budget)

    def prefix_messages(self, session: Session, persona: Persona, draft: str) -> list[BaseMessage]:
        """The beginning the next real request will have once `draft` is the answer (prewarm)."""
        return prompt_assembly.prefix_messages(session, persona, draft, answer_token_budget=self.answer_token_budget,
                                      history_token_budget=self.history_token_budget)

    def system_prompt(self, session: Session, persona: Persona) -> str:
        return prompt_assembly.system_prompt(session, persona)

    def _persona(self, session: Session) -> Persona:
        return self.personas.get(session.persona)
