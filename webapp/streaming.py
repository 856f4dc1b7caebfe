"""Driving one engine call into the chat: the thinking line, the words as they stream, the
finished question with its End button, notices, and a save of every turn as it lands.

The engine's events are read under `aclosing`, in this task: when the stream stops early (Stop
cancels this task, a failed emit raises here) the engine's generators and the model's HTTP stream
inside them are closed here, not left to the garbage collector. (What langchain itself leaves
behind is closed by the loop's finaliser: webapp.chainlit_internals.restore_async_generator_finaliser.)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from typing import TYPE_CHECKING

import chainlit as cl

from interviewer.interview.events import Event, NoticeEvent, TokenEvent, TurnEvent
from interviewer.session import Session, Turn
from interviewer.voice.text_to_speech import Synthesizer
from webapp import chainlit_internals, notices, personas, questions, read_aloud, saving
from webapp.read_aloud import QuestionVoice
from webapp.engine_access import engine_or_error
from webapp.support.formatting import question_display

if TYPE_CHECKING:
    from interviewer.interview.engine import InterviewEngine

log = logging.getLogger("interviewer.app")

EngineCall = Callable[["InterviewEngine"], AsyncGenerator[Event, None]]


class Draft:
    """The interviewer message being written on screen, until it becomes the question; read aloud
    as it streams when `voice` is given (webapp.read_aloud)."""

    def __init__(self, session: Session, voice: Synthesizer | None = None) -> None:
        self.session = session
        self.message: cl.Message | None = None
        self.got_token = False
        self.voice_engine = voice
        self.voice: QuestionVoice | None = None

    async def think(self) -> None:
        """The embedded model can take seconds before its first token: say so at once, in plain
        words; the first token replaces them (is_sequence below)."""
        message = cl.Message(content="", author=personas.name(self.session.persona))
        await message.stream_token(personas.thinking_text(self.session.persona), is_sequence=True)
        self.message, self.got_token = message, False

    async def token(self, text: str, speaker: str | None = None, pause: bool = False) -> None:
        if self.message is None:
            await self.think()
        assert self.message is not None
        await self.message.stream_token(text, is_sequence=not self.got_token)
        self.got_token = True
        if self.voice_engine is not None:
            if self.voice is None:
                self.voice = QuestionVoice(self.session, self.voice_engine, self.message.id)
            self.voice.token(text, speaker, pause)

    async def become_question(self, turn: Turn) -> None:
        """The engine's final text replaces the streamed draft (it may trim or fix it)."""
        message = self.message or cl.Message(content="")
        self.message = message
        persona = turn.persona or self.session.persona
        message.content = question_display(turn, personas.is_panel(persona))
        message.author = turn.speaker.name if turn.speaker else personas.name(persona)
        await questions.show_question(message, self.session)
        voice, self.voice = self.voice, None
        if voice is None and self.voice_engine is not None:  # a line shown whole, not streamed
            voice = QuestionVoice(self.session, self.voice_engine, message.id)
        if voice is not None:
            await voice.finish(turn.text, message)
        self.message, self.got_token = None, False

    async def give_way(self) -> None:
        """A notice comes instead of words: the thinking line goes (streamed words stay)."""
        if self.message is not None and not self.got_token:
            await self.message.remove()
            self.message = None

    async def drop(self) -> None:
        """A placeholder that never became a question (or a stream cut off) leaves the screen,
        and stops being read aloud."""
        if self.voice is not None:
            self.voice.cancel()
            self.voice = None
        message, self.message = self.message, None
        if message is not None:
            try:
                await message.remove()
            except Exception:
                pass


async def stream(session: Session, run: EngineCall) -> None:
    """Run `run(engine)` and show its events; a failure is a sentence with a Try again button."""
    engine = await engine_or_error()
    if engine is None:
        return
    draft = Draft(session, await read_aloud.engine_if_on())
    await notices.server_notices()
    if chainlit_internals.restore_async_generator_finaliser():
        # Start-up installed it; finding it gone means something reset this thread's hooks. A
        # busy fresh-clone run once logged model streams closed by the garbage collector without
        # a finaliser (issue 26, cause not found): put it back before this call streams, and say
        # so in the log, so the next occurrence names its thread.
        log.warning("async-generator finaliser was missing in thread %s; restored", threading.current_thread().name)
    try:
        await draft.think()
        async with aclosing(run(engine)) as events:
            async for event in events:
                await _show(event, draft, session)
    except Exception as exc:
        log.exception("engine call failed")
        await draft.drop()
        await notices.error(
            f"The interviewer couldn't answer just now ({type(exc).__name__}). Your answer is "
            "saved; press Try again when ready.",
            retry=True,
        )
    finally:
        await draft.drop()
        await saving.save(session)
        await notices.server_notices()


async def _show(event: Event, draft: Draft, session: Session) -> None:
    if isinstance(event, TokenEvent):
        await draft.token(event.text, event.speaker, event.pause)
    elif isinstance(event, TurnEvent):
        if event.turn.role == "interviewer":
            await draft.become_question(event.turn)
        # Every turn is saved as it lands: the candidate's answer before the model is asked
        # anything (crash safety), the question once it is on screen.
        await saving.save(session)
    elif isinstance(event, NoticeEvent):
        await draft.give_way()
        await notices.notice(event)
