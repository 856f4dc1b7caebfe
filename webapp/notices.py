"""Plain sentences in the chat: notices, errors (never a traceback), the model server's news."""

from __future__ import annotations

import chainlit as cl

from interviewer.interview.events import NoticeEvent
from webapp.services import get_services

AUTHOR = "Interviewer"
RETRY_ACTION = "retry_question"


async def say(text: str) -> None:
    await cl.Message(content=text, author=AUTHOR).send()


async def error(text: str, retry: bool = False) -> None:
    """Problems read as a plain sentence in the chat (never a traceback); model failures get a
    Try again button that re-asks the pending question."""
    actions = [cl.Action(name=RETRY_ACTION, payload={}, label="Try again", icon="refresh-cw")] if retry else []
    await cl.Message(content=f"⚠️ {text}", author=AUTHOR, actions=actions).send()


async def notice(event: NoticeEvent) -> None:
    """A notice from the engine: an error gets the Try again button, anything else is said."""
    if event.level == "error":
        await error(event.text, retry=True)
    else:
        await say(event.text)


async def server_notices() -> None:
    """A model server that died and was restarted is said once, plainly (nothing was lost)."""
    runtime = get_services().runtime
    for text in runtime.take_notices() if runtime is not None else []:
        await say(f"ℹ️ {text}")
