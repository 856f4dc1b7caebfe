"""/end, typed or pressed: the report (webapp.feedback) for the interview so far."""

from __future__ import annotations

from webapp import feedback, notices, questions
from webapp.state import state


async def end_interview() -> None:
    chat = state()
    session = chat.session
    if session is None or not session.answers():
        await notices.say("There is nothing to report yet: answer at least one question first.")
        return
    if chat.last_question is not None:
        await questions.remove_actions(chat.last_question)
    await feedback.end_interview(session)


async def end_from_action() -> None:
    async with state().turn_lock:
        await end_interview()
