"""The interview's turns in the chat: open it, answer a question, ask the owed question again."""

from __future__ import annotations

import logging

from interviewer.session import Session, Turn
from interviewer.store import StoreClosed
from webapp import chainlit_internals, ledger, personas, saving, scores
from webapp.engine_access import engine_or_error
from webapp.state import state, thread_id, user_id
from webapp.streaming import stream
from webapp.support.formatting import thread_name

log = logging.getLogger("interviewer.app")


async def open_interview() -> None:
    """A new interview with the chosen persona and the panel's context; its first question."""
    engine = await engine_or_error()
    if engine is None:
        return
    chat = state()
    persona_id = chat.persona or personas.default()
    # A copy: the earlier claims belong to this interview, not to the settings panel's context.
    context = chat.prefs.context.model_copy(update={"prior_claims": await ledger.prior_claims(user_id())})
    session = engine.new_session(persona_id, context, user_id=user_id())
    session.probing_depth = chat.prefs.probing_depth
    chat.session = session
    await saving.save(session)
    await stream(session, lambda e: e.open(session))
    # After the first exchange: Chainlit names a new thread after the first message in a task
    # of its own, which would overwrite a name set earlier.
    await name_thread(session)


async def name_thread(session: Session) -> None:
    """Name the history entry after the interview, not after the first thing typed."""
    layer = chainlit_internals.data_layer()
    if layer is None:
        return
    try:
        await layer.update_thread(
            thread_id=thread_id(),
            name=thread_name(personas.name(session.persona), session.context),
            # chat_profile: the header shows the right persona when the thread is reopened, even
            # if the process died before Chainlit saved its session metadata at disconnect.
            metadata={"interview_session_id": session.id, "chat_profile": session.persona},
        )
    except Exception:
        log.warning("could not name the thread", exc_info=True)


async def answer(session: Session, text: str, *, spoken: bool = False) -> None:
    """The candidate's answer in, the next question out; its score shows up when it lands."""

    async def on_evaluation(scored: Session, turn: Turn) -> None:
        try:
            await saving.save(scored)
        except StoreClosed:
            # The app is stopping and a score landed after the store closed. Nothing is lost:
            # the answer is saved without a score, and a reopened interview scores it again
            # (webapp.lifecycle). A traceback here would only alarm whoever reads the log.
            log.info("a score landed while the app was stopping; it is scored again when the interview is reopened")
            return
        await scores.show_evaluation(turn)

    await stream(session, lambda e: e.reply(session, text, on_evaluation=on_evaluation, spoken=spoken))


async def retry_question() -> None:
    """Try again after a failed model call: ask the question that is owed."""
    session = state().session
    if session is None:
        await open_interview()
        return
    await stream(session, lambda e: e.resume_question(session))


async def retry_from_action() -> None:
    async with state().turn_lock:
        await retry_question()
