"""The interview engine: code decides every move, the model phrases it in the persona's voice.

One turn: the answer is recorded (and yielded) first; its evaluation starts as a background task
that never blocks the next question; the policy decides in code whether to probe (which kind,
aimed at which dimension, who on the panel asks) or move on; the model phrases that one move
from a prefix-stable prompt (fixed persona system prompt, then the trimmed transcript, then a
short note for this move, last); code keeps one clean question, or falls back to the persona's
template phrasing when the output is unusable, leaks its instructions or repeats a question.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from interviewer.interview.events import Event, NoticeEvent, TokenEvent, TurnEvent
from interviewer.interview.personas import Member, Persona, PersonaLibrary, adjust_probing
from interviewer.interview.phrasing import Mode, StreamFilter, clean_reply, leaks, question_part, sanitize, sentences
from interviewer.interview.plan import EVALUATED_PHASES, BankQuestion, QuestionBank, build_plan, load_bank
from interviewer.interview.policy import Decision, decide, is_repeat
from interviewer.prompts import load_prompt
from interviewer.resilience import stream_with_deadlines, user_message
from interviewer.session import (
    CandidateContext,
    EvalStatus,
    Evaluation,
    PlanItem,
    Session,
    Speaker,
    Turn,
    TurnKind,
)
from interviewer.tokens import count_tokens, trim_history_paged, truncate_to_tokens

log = logging.getLogger(__name__)

CONTEXT_TOKENS = 300  # per job description / resume excerpt in the system prompt
MAX_CANDIDATE_QUESTIONS = 2  # answered in the "do you have questions for me?" phase
AVOID_LAST = 4  # earlier questions listed in the "do not repeat" note
TRANSCRIPT_HEADER = "The interview so far:"
_ASKS_QUESTION = re.compile(
    r"\?|^\s*(?:what|how|why|who|when|where|which|is|are|do|does|can|could|would|will|should)\b", re.I
)


class Evaluator(Protocol):
    async def evaluate(self, question: str, answer: str) -> Evaluation: ...


OnEvaluation = Callable[[Session, Turn], Awaitable[None]]


@dataclass
class Move:
    """One interviewer line to produce: what to tell the model and what to record afterwards."""

    kind: TurnKind
    mode: Mode
    task: str
    speaker: Member
    item: PlanItem | None
    fallbacks: list[str]
    prefix: str = ""  # said verbatim before the model's words (greeting, panellist intro)
    private: list[str] = field(default_factory=list)  # text that must never be echoed
    decision: Decision | None = None
    apply: Callable[[], None] = lambda: None  # state changes, run only once the line exists
    allow_repeat: bool = False
    lead: bool = True  # keep a short lead-in sentence before the question (not on the first turn)
    on_target: Callable[[str], bool] = lambda _text: True  # does the phrasing ask what was decided?


class ModelUnavailable(Exception):
    """Raised internally when the phrasing call fails; turned into a NoticeEvent."""


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
    ) -> None:
        self.model = model
        self.personas = personas
        self.evaluator = evaluator
        self.answer_token_budget = answer_token_budget
        self.history_token_budget = history_token_budget
        self.bank = bank or load_bank()
        self.first_token_timeout = first_token_timeout
        self.total_timeout = total_timeout
        self._tasks: dict[str, dict[str, asyncio.Task[None]]] = {}  # session id -> turn id -> task
        # The object a caller currently holds for a session id with evaluations in flight. After a
        # browser reload the app loads a *new* Session object for the same interview; a score
        # that lands later must go to that one, or the next save would write it back as pending.
        self._live: dict[str, Session] = {}
        # One judge server answers one request at a time: queue here, so the evaluator's own
        # deadline measures its work, not the time spent waiting behind earlier answers.
        self._evaluation_slots = max(1, evaluation_concurrency)
        self._evaluation_gate: asyncio.Semaphore | None = None

    # -- sessions -----------------------------------------------------------------------------
    def new_session(
        self,
        persona_id: str,
        context: CandidateContext | None = None,
        user_id: str = "local",
        seed: int | None = None,
    ) -> Session:
        persona = self.personas.get(persona_id)
        return Session(
            user_id=user_id,
            persona=persona.id,
            context=context or CandidateContext(),
            plan=build_plan(persona, self.bank, seed),
        )

    def switch_persona(self, session: Session, persona_id: str) -> None:
        """Continue with another interviewer; transcript, plan position and scores are kept."""
        persona = self.personas.get(persona_id)  # KeyError names the known personas
        if persona.id == session.persona:
            return
        session.switch_persona(persona.id)
        session.add_turn(
            Turn(
                role="system",
                kind=TurnKind.NOTICE,
                text=f"{persona.name} takes over the interview from here. Everything so far is kept.",
            )
        )

    # -- the conversation ---------------------------------------------------------------------
    async def open(self, session: Session) -> AsyncIterator[Event]:
        """Greeting and the first question (streamed)."""
        if any(t.role == "interviewer" for t in session.turns):
            async for event in self.resume_question(session):
                yield event
            return
        if not session.plan:
            yield NoticeEvent("This interview has no questions planned.", "error")
            return
        persona = self._persona(session)
        item = session.plan[session.position]
        move = self._question_move(session, persona, item, first=True)
        async for event in self._speak(session, persona, move):
            yield event

    async def reply(
        self, session: Session, answer: str, on_evaluation: OnEvaluation | None = None
    ) -> AsyncIterator[Event]:
        """Record the answer, score it in the background, and ask the next question."""
        self.adopt(session)
        persona = self._persona(session)
        if session.finished:
            yield NoticeEvent("The interview is over; your report is ready.", "info")
            return
        text = answer if isinstance(answer, str) else str(answer)
        for_model = sanitize(text)
        if not for_model:
            async for event in self._reprompt(session, persona):
                yield event
            return
        item = self._current_item(session)
        cut, truncated = truncate_to_tokens(for_model, self.answer_token_budget)
        turn = session.add_turn(
            Turn(
                role="candidate",
                kind=TurnKind.ANSWER,
                text=text,
                question_id=item.id if item else None,
                truncated_for_model=truncated,
            )
        )
        yield TurnEvent(turn)
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
            async for event in self._next(session, persona):
                yield event
        finally:
            # Scored only once the next question has streamed: building the evaluator's request
            # costs CPU on this event loop, and the candidate is reading by now (benchmark 2).
            if evaluate:
                self._start_evaluation(session, turn, on_evaluation)

    async def resume_question(self, session: Session) -> AsyncIterator[Event]:
        """After a failed model call: ask the question that is owed (the answer is already kept)."""
        self.adopt(session)
        if session.finished:
            return
        spoken = [t for t in session.turns if t.role != "system"]
        if not spoken:
            async for event in self.open(session):
                yield event
            return
        if spoken[-1].role == "candidate":
            async for event in self._next(session, self._persona(session)):
                yield event

    async def finish(self, session: Session) -> AsyncIterator[Event]:
        """End the interview now (the candidate asked to stop, or a rehearsal ran out of answers)."""
        if session.finished:
            return
        persona = self._persona(session)
        close = next((i for i in session.plan if i.phase == "close"), None)
        async for event in self._speak(session, persona, self._closing_move(session, persona, close)):
            yield event

    # -- evaluations --------------------------------------------------------------------------
    def adopt(self, session: Session) -> None:
        """The caller now holds this object for its interview (e.g. reloaded from the store):
        evaluations still in flight land in it. Called by every public entry point."""
        if self._tasks.get(session.id):
            self._live[session.id] = session

    def _start_evaluation(self, session: Session, turn: Turn, on_evaluation: OnEvaluation | None) -> None:
        if self.evaluator is None:
            return
        self._live[session.id] = session
        question = session.question_for(turn)
        turn.evaluation = Evaluation(status=EvalStatus.PENDING)
        task = asyncio.create_task(
            self._evaluate(session, turn, question.text if question else "", on_evaluation)
        )
        self._tasks.setdefault(session.id, {})[turn.id] = task

    async def _evaluate(
        self, session: Session, turn: Turn, question: str, on_evaluation: OnEvaluation | None
    ) -> None:
        assert self.evaluator is not None
        answer, _ = truncate_to_tokens(sanitize(turn.text), self.answer_token_budget)
        if self._evaluation_gate is None:
            self._evaluation_gate = asyncio.Semaphore(self._evaluation_slots)
        try:
            async with self._evaluation_gate:
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

    async def retry_unavailable(self, session: Session) -> int:
        """Re-run evaluations that failed or never ran; returns how many were re-run."""
        if self.evaluator is None:
            return 0
        self.adopt(session)
        in_flight = self._tasks.get(session.id, {})
        phases = {i.id: i.phase for i in session.plan}
        todo = [
            t
            for t in session.answers()
            if t.id not in in_flight
            and phases.get(t.question_id or "") in EVALUATED_PHASES
            and (t.evaluation is None or t.evaluation.status is not EvalStatus.OK)
        ]
        for turn in todo:
            self._start_evaluation(session, turn, None)
        await self.drain(session)
        return len(todo)

    # -- deciding the next move -----------------------------------------------------------------
    async def _next(self, session: Session, persona: Persona) -> AsyncIterator[Event]:
        item = self._current_item(session)
        if item is None:
            async for event in self.finish(session):
                yield event
            return
        move: Move | None = None
        if item.phase == "your_questions":
            move = self._candidate_question_move(session, persona, item)
        elif item.phase in EVALUATED_PHASES:
            move = await self._probe_move(session, persona, item)
        if move is None:
            move = self._advance_move(session, persona)
        async for event in self._speak(session, persona, move):
            yield event

    def _thread(self, session: Session, item: PlanItem) -> list[Turn]:
        return [t for t in session.turns if t.question_id == item.id]

    async def _probe_move(self, session: Session, persona: Persona, item: PlanItem) -> Move | None:
        thread = self._thread(session, item)
        answers = [t for t in thread if t.role == "candidate"]
        if not answers:
            return None
        # Probe kinds already used (or skipped as repeats) on this question are never used again.
        done = [t.probe_kind for t in thread if t.probe_kind and t.role != "candidate"]
        question = self._bank_question(item)
        # Only evaluations that have already landed; the policy never waits for the evaluator.
        landed = [t.evaluation for t in session.answers() if t.evaluation and t.evaluation.status is EvalStatus.OK]
        thread_text = "\n".join(sanitize(t.text) for t in answers)
        latest = sanitize(answers[-1].text)
        decision = decide(
            thread_text=thread_text,
            latest=latest,
            question=question,
            probing=adjust_probing(persona.probing, session.probing_depth),
            probes_done=done,
            bank=self.bank,
            evaluations=landed,
        )
        if not decision.probe or decision.kind is None:
            return None
        speaker = self._speaker(persona, item, decision)
        kind = decision.kind
        spec = self.bank.probes[kind]
        about = " ".join(latest.split()[:30]).replace('"', "'")
        fallbacks = self._probe_fallbacks(session, persona, item, kind)
        example = fallbacks[0] if fallbacks else ""
        task = load_prompt("interviewer_task_probe").render(
            instruction=spec.instruction, example=example, about=about
        )

        def apply() -> None:
            item.probes += 1

        return Move(
            kind=TurnKind.PROBE,
            mode="question",
            task=task,
            speaker=speaker,
            item=item,
            fallbacks=fallbacks,
            private=[spec.instruction, decision.reason],
            decision=decision,
            apply=apply,
            allow_repeat=kind == "redirect",
            # A redirect must re-ask the dodged question, not wander off to a new topic.
            on_target=(lambda text: on_topic(text, question)) if kind == "redirect" else spec.accepts,
        )

    def _probe_fallbacks(self, session: Session, persona: Persona, item: PlanItem, kind: str) -> list[str]:
        if kind == "redirect":
            asked = next(
                (t.text for t in session.turns if t.question_id == item.id and t.kind is TurnKind.QUESTION),
                self._bank_question(item).question,
            )
            question = question_part(asked)
            return [p.replace("{question}", question) for p in persona.phrases.redirect]
        return list(persona.phrases.probes.get(kind, []))

    def _candidate_question_move(self, session: Session, persona: Persona, item: PlanItem) -> Move | None:
        thread = self._thread(session, item)
        answers = [t for t in thread if t.role == "candidate"]
        replies = [t for t in thread if t.role == "interviewer" and t.kind is TurnKind.QUESTION][1:]
        latest = sanitize(answers[-1].text) if answers else ""
        if not latest or not _ASKS_QUESTION.search(latest) or len(replies) >= MAX_CANDIDATE_QUESTIONS:
            return None  # no (more) questions from the candidate: close the interview
        asked = " ".join(latest.split()[:60]).replace('"', "'")
        return Move(
            kind=TurnKind.QUESTION,
            mode="answer",
            task=load_prompt("interviewer_task_answer").render(question=asked),
            speaker=self._speaker(persona, item, None),
            item=item,
            fallbacks=list(persona.phrases.answer_fallback),
            allow_repeat=True,
        )

    def _advance_move(self, session: Session, persona: Persona) -> Move:
        index = session.position + 1
        if index >= len(session.plan) or session.plan[index].phase == "close":
            close = session.plan[index] if index < len(session.plan) else None
            return self._closing_move(session, persona, close)
        return self._question_move(session, persona, session.plan[index])

    def _question_move(self, session: Session, persona: Persona, item: PlanItem, first: bool = False) -> Move:
        question = self._bank_question(item)
        hint = ""
        if question.uses_story:
            story = self._earlier_story(session)
            if story:
                hint += f' Ask about one specific thing they told you earlier: "{story}".'
        if session.context.job_description.strip() or session.context.resume.strip():
            hint += " If it fits naturally, connect the question to their resume or the job description."
        prefix = persona.phrases.greeting[0] if first else ""
        index = session.plan.index(item)

        def apply() -> None:
            session.position = index
            item.asked = True

        return Move(
            kind=TurnKind.QUESTION,
            mode="question",
            task=load_prompt("interviewer_task_question").render(
                question=question.question, topic=question.topic, hint=hint
            ),
            on_target=lambda text: on_topic(text, question),
            speaker=self._speaker(persona, item, None),
            item=item,
            fallbacks=[question.question],
            prefix=prefix,
            apply=apply,
            lead=not first,
        )

    def _closing_move(self, session: Session, persona: Persona, close: PlanItem | None) -> Move:
        def apply() -> None:
            if close is not None:
                session.position = session.plan.index(close)
                close.asked = True
            session.finished = True

        speaker = self._speaker(persona, close, None) if close else persona.interviewers[0]
        return Move(
            kind=TurnKind.CLOSING,
            mode="closing",
            task=load_prompt("interviewer_task_close").render(),
            speaker=speaker,
            item=close,
            fallbacks=list(persona.phrases.closing),
            apply=apply,
            allow_repeat=True,
        )

    async def _reprompt(self, session: Session, persona: Persona) -> AsyncIterator[Event]:
        """An empty answer: a gentle nudge in the persona's words; no question is consumed."""
        yield NoticeEvent("Your answer was empty; take your time and answer when you're ready.", "info")
        count = sum(1 for t in session.turns if t.kind is TurnKind.REPROMPT)
        text = persona.phrases.reprompt[count % len(persona.phrases.reprompt)]
        item = self._current_item(session)
        member = self._speaker(persona, item, None)
        speaker = self._last_speaker(session) or Speaker(name=member.name, role=member.role)
        turn = session.add_turn(
            Turn(
                role="interviewer",
                kind=TurnKind.REPROMPT,
                text=text,
                speaker=speaker,
                question_id=item.id if item else None,
            )
        )
        yield TurnEvent(turn)

    # -- speaking -----------------------------------------------------------------------------
    async def _speak(self, session: Session, persona: Persona, move: Move) -> AsyncIterator[Event]:
        """Phrase `move` with the model (streamed), post-process it, record the turn."""
        prefix = self._prefix(session, persona, move)
        if prefix:
            yield TokenEvent(prefix + " ")
        messages = self._messages(session, persona, move)
        names = [m.name for m in persona.interviewers]
        private = list(move.private)
        flt = StreamFilter(move.mode, names, private)
        try:
            stream = stream_with_deadlines(
                self.model.astream(messages),
                first_item_timeout=self.first_token_timeout,
                total_timeout=self.total_timeout,
                what="the interviewer model",
            )
            # aclosing: leaving early (one question is enough) closes the HTTP stream here, in
            # this task, instead of in a garbage-collector finaliser somewhere else.
            async with aclosing(stream):
                async for chunk in stream:
                    piece = chunk.content if isinstance(chunk.content, str) else ""
                    shown = flt.feed(piece)
                    if shown:
                        yield TokenEvent(shown)
                    if flt.done:
                        break
        except Exception as exc:  # timeouts, refused connections, 429/500 after retries, ...
            log.warning("interviewer model call failed: %r", exc)
            yield NoticeEvent(
                f"The interviewer could not reply. {user_message(exc)}", "error"
            )
            return
        text = self._final_text(session, move, flt, names, private)
        if text is None:  # every phrasing repeats an earlier question: skip this probe
            async for event in self._skip_probe(session, persona, move):
                yield event
            return
        move.apply()
        decision = move.decision
        turn = session.add_turn(
            Turn(
                role="interviewer",
                kind=move.kind,
                text=f"{prefix} {text}".strip(),
                speaker=Speaker(name=move.speaker.name, role=move.speaker.role),
                question_id=move.item.id if move.item else None,
                probe_reason=decision.reason if decision else None,
                probe_kind=decision.kind if decision else None,
                target_dimension=decision.dimension if decision else None,
            )
        )
        yield TurnEvent(turn)

    def _final_text(
        self, session: Session, move: Move, flt: StreamFilter, names: list[str], private: list[str]
    ) -> str | None:
        earlier = [question_part(t.text) for t in session.turns if t.role == "interviewer"]
        text = None if flt.leaked else clean_reply(flt.raw, move.mode, names)
        if text is not None and not move.lead:
            text = question_part(text) if move.mode == "question" else text
        if text is not None and move.mode == "closing":
            said = [s for t in session.turns if t.role == "interviewer" for s in sentences(t.text)]
            if len(text.split()) < 5 or any(is_repeat(s, said) for s in sentences(text)):
                text = None  # too thin, or parroting an earlier line
        if text is not None and leaks(text, private):
            text = None
        if text is not None and move.mode == "question" and not move.on_target(question_part(text)):
            text = None  # the model drifted (e.g. re-asked the previous question): use the template
        if text is not None and move.mode == "question" and not move.allow_repeat:
            if is_repeat(question_part(text), earlier):
                text = None
        if text is not None:
            return text
        log.info("model phrasing not used (%s move): %r", move.kind.value, flt.raw)
        for fallback in move.fallbacks:
            if move.allow_repeat or move.mode != "question" or not is_repeat(question_part(fallback), earlier):
                return fallback
        # Every template was already asked. A main question is still asked (it is new content);
        # a probe is dropped so the interviewer never asks the same follow-up twice.
        return None if move.kind is TurnKind.PROBE else move.fallbacks[0]

    async def _skip_probe(self, session: Session, persona: Persona, move: Move) -> AsyncIterator[Event]:
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
        async for event in self._next(session, persona):
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

    # -- prompt -------------------------------------------------------------------------------
    def system_prompt(self, session: Session, persona: Persona) -> str:
        """Fixed for a session and persona: the start of every request (KV-cache friendly)."""
        panel = ""
        if persona.is_panel:
            lines = [f"- {m.name}, {m.role}" for m in persona.interviewers]
            panel = "The panel:\n" + "\n".join(lines)
        ctx = session.context
        context_parts = []
        if ctx.job_description.strip():
            jd, _ = truncate_to_tokens(sanitize(ctx.job_description), CONTEXT_TOKENS)
            context_parts.append(f"Job description (excerpt):\n{jd}")
        if ctx.resume.strip():
            cv, _ = truncate_to_tokens(sanitize(ctx.resume), CONTEXT_TOKENS)
            context_parts.append(f"Candidate's resume (excerpt):\n{cv}")
        return load_prompt("interviewer_system").render(
            persona_name=persona.name,
            voice=persona.voice,
            style=persona.style,
            panel=panel,
            role=sanitize(ctx.role) or "software engineer",
            level=sanitize(ctx.level) or "mid-level",
            context="\n\n".join(context_parts),
        )

    def _messages(self, session: Session, persona: Persona, move: Move) -> list[BaseMessage]:
        """[fixed system prompt, one user message: transcript so far + this move's note (last)].

        A small model given the transcript as chat turns tends to answer the last question itself;
        given it as a document to continue, it writes the interviewer's line. The transcript only
        grows at its end, so every request shares the previous one's prefix (KV-cache reuse)."""
        lines: list[BaseMessage] = []
        for turn in session.turns:
            if turn.role == "interviewer":
                who = turn.speaker.name if turn.speaker else persona.name
                # Lines of one document, not chat turns: all "human" so trimming keeps any line.
                lines.append(HumanMessage(f"{who}: {turn.text}"))
            elif turn.role == "candidate":
                text, _ = truncate_to_tokens(sanitize(turn.text), self.answer_token_budget)
                lines.append(HumanMessage(f"Candidate: {text}"))
        system = SystemMessage(self.system_prompt(session, persona))
        # Paged trimming: the prompt's beginning stays identical for several turns (KV-cache reuse).
        kept = trim_history_paged([system, *lines], self.history_token_budget) if lines else [system]
        transcript = "\n".join(str(m.content) for m in kept[1:]) or "(The interview has not started yet.)"
        earlier = [question_part(t.text) for t in session.turns if t.role == "interviewer"][-AVOID_LAST:]
        avoid = ""
        if earlier and move.mode == "question":
            avoid = "Do not repeat these earlier questions: " + " | ".join(earlier)
        note = load_prompt("interviewer_move").render(speaker=move.speaker.name, task=move.task, avoid=avoid)
        return [system, HumanMessage(f"{TRANSCRIPT_HEADER}\n{transcript}\n\n{note}")]

    # -- helpers ------------------------------------------------------------------------------
    def _persona(self, session: Session) -> Persona:
        return self.personas.get(session.persona)

    def _current_item(self, session: Session) -> PlanItem | None:
        if 0 <= session.position < len(session.plan):
            return session.plan[session.position]
        return None

    def _bank_question(self, item: PlanItem) -> BankQuestion:
        try:
            return self.bank.question(item.id)
        except KeyError:  # a plan from an older bank: ask its topic as is
            return BankQuestion(id=item.id, topic=item.topic, question=item.topic.rstrip(".") + "?")

    def _speaker(self, persona: Persona, item: PlanItem | None, decision: Decision | None) -> Member:
        """Who speaks: the dimension's owner for a probe on a panel, else the question's owner."""
        if decision is not None and persona.is_panel and decision.kind != "redirect":
            owner = persona.owner_of(decision.dimension)
            if owner is not None:
                return owner
        if item is not None:
            member = persona.member(item.owner)
            if member is not None:
                return member
            members = persona.members_for_phase(item.phase)
            return members[0]
        return persona.interviewers[0]

    def _last_speaker(self, session: Session) -> Speaker | None:
        for turn in reversed(session.turns):
            if turn.role == "interviewer" and turn.speaker is not None and turn.persona == session.persona:
                return turn.speaker
        return None

    def _earlier_story(self, session: Session) -> str:
        """The opening of the longest earlier answer: technical questions dig into their own stories."""
        phases = {i.id: i.phase for i in session.plan}
        answers = [
            sanitize(t.text)
            for t in session.answers()
            if phases.get(t.question_id or "") in {"deep_dive", "behavioural"}
        ]
        if not answers:
            return ""
        longest = max(answers, key=lambda a: count_tokens(a))
        first = sentences(longest)[:2]
        return " ".join(" ".join(first).split()[:30]).replace('"', "'")


_GENERIC = frozenset(
    "about would there their think thing things where which while tell are you your was were the and "
    "for how what why did does can could with that this one time some any".split()
)


def _stems(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z]{3,}", text.lower()) if w not in _GENERIC}


def on_topic(text: str, question: BankQuestion) -> bool:
    """A rephrased main question must share a content word (stem) with the planned one."""
    return bool(_stems(text) & _stems(f"{question.question} {question.topic}"))


def panel_speakers(turns: Sequence[Turn]) -> list[str]:
    """Distinct interviewer names in speaking order (used by tests and the report)."""
    names: list[str] = []
    for turn in turns:
        if turn.role == "interviewer" and turn.speaker and turn.speaker.name not in names:
            names.append(turn.speaker.name)
    return names
