"""A chat starts, or an earlier one is reopened from the history."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping
from dataclasses import replace
from typing import Any

import chainlit as cl

from interviewer.session import EvalStatus, Session
from webapp import notices, personas, questions, saving, scores, settings_panel
from webapp.services import get_services
from webapp.state import state
from webapp.streaming import stream
from webapp.support.preferences import SETTING_PERSONA, default_preferences, preferences_from_settings
from webapp.support.resuming import needs_next_question, resume_summary, unscored_answers

log = logging.getLogger("interviewer.app")

# Chainlit replays a reopened thread *after* its resume handler returns and replaces the chat
# with it, so anything sent before would vanish from the screen: post-resume messages wait.
AFTER_REPLAY_SECONDS = 0.6
_background: set[asyncio.Task[None]] = set()  # referenced until done (the loop holds tasks weakly)


def _spawn(work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.create_task(work)
    _background.add(task)
    task.add_done_callback(_background.discard)


async def start_chat() -> None:
    """The persona from the chat profile picked on the welcome screen; nothing is asked until
    the candidate's first message."""
    profile = cl.context.session.chat_profile
    ids = [pid for pid, _ in personas.choices()]
    chat = state()
    chat.persona = profile if profile in ids else personas.default()
    chat.prefs = default_preferences()
    await settings_panel.send_settings(chat.persona)
    get_services().start_models_in_background()


async def resume_chat(thread: Mapping[str, Any]) -> None:
    """The interview behind a reopened thread, from the store; the chat carries on from it."""
    session = await get_services().store.aload_by_thread(str(thread.get("id")))
    chat = state()
    if session is None:
        chat.persona = personas.default()
        chat.prefs = default_preferences()
        _spawn(_after_resume(None))
        return
    chat.session = session
    chat.persona = session.persona
    saved = cl.context.session.chat_settings or {}
    restored = preferences_from_settings({**(saved if isinstance(saved, dict) else {}), SETTING_PERSONA: session.persona})
    # The session is the truth for the interview itself; the panel only keeps the scores switch.
    chat.prefs = replace(restored, persona=session.persona, context=session.context, probing_depth=session.probing_depth)
    await settings_panel.send_settings(session.persona)
    _spawn(_after_resume(session))


async def _after_resume(session: Session | None) -> None:
    await asyncio.sleep(AFTER_REPLAY_SECONDS)
    try:
        if session is None:
            await notices.say("I couldn't find the saved state of this interview, so it can't continue "
                              "here. Start a new chat to begin another interview.")
            return
        if session.finished:
            await notices.say("This interview is finished; its report is above. Type `/end` to build the report again.")
            return
        await cl.Message(content=resume_summary(session), author=notices.AUTHOR, actions=[questions.end_action()]).send()
        # Under the turn lock, and decided there: an answer sent meanwhile is answered by its own
        # handler, and the owed question must not stream beside that reply.
        async with state().turn_lock:
            if needs_next_question(session):
                await stream(session, lambda engine: engine.resume_question(session))
        if unscored_answers(session):
            _spawn(_rescore(session))
    except Exception:  # never a traceback in the chat
        log.exception("resume follow-up failed")


async def _rescore(session: Session) -> None:
    """Answers whose score was lost (the app stopped while scoring) are scored again."""
    try:
        engine = await get_services().wait_for_engine()
        before = {t.id for t in unscored_answers(session)}
        await engine.retry_unavailable(session)
        await saving.save(session)
        for turn in session.answers():
            if turn.id in before and turn.evaluation and turn.evaluation.status is EvalStatus.OK:
                await scores.show_evaluation(turn)
    except Exception:
        log.exception("re-scoring after resume failed")
