"""The interviewer's latest question carries the End button; the one before gives it up."""

from __future__ import annotations

import chainlit as cl

from interviewer.session import Session
from webapp.state import state

END_ACTION = "end_interview"


def end_action() -> cl.Action:
    return cl.Action(name=END_ACTION, payload={}, label="End interview & get feedback", icon="flag")


async def remove_actions(message: cl.Message) -> None:
    """Take the buttons off a message on screen (the browser may be gone: then they go with it)."""
    for action in list(message.actions or []):
        try:
            await action.remove()
        except Exception:
            pass
    message.actions = []


async def show_question(message: cl.Message, session: Session) -> None:
    """Send `message` as the latest question: it gets the End button unless the interview is over."""
    chat = state()
    if chat.last_question is not None:
        await remove_actions(chat.last_question)
    message.actions = [] if session.finished else [end_action()]
    await message.send()
    chat.last_question = message
