"""A message from the candidate: files, a command, or an answer (one message at a time)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import chainlit as cl

from webapp import notices
from webapp.commands import handle_command
from webapp.state import state
from webapp.support.answers import check_answer
from webapp.support.commands import parse_command
from webapp.turns import answer, open_interview
from webapp.uploads import absorb_uploads

log = logging.getLogger("interviewer.app")


async def handle_message(message: cl.Message) -> None:
    """Under the chat's turn lock; anything unexpected is a sentence in the chat, not a traceback
    (the interview is saved turn by turn)."""
    await _guarded(lambda: _handle(message))


async def handle_text(text: str, *, spoken: bool = False) -> None:
    """An answer that arrived as text without a chat message of its own (a spoken answer's
    transcript, already shown): the same path as a typed one."""
    await _guarded(lambda: _answer_text(text, uploaded=False, spoken=spoken))


async def _guarded(work: Callable[[], Awaitable[None]]) -> None:
    try:
        async with state().turn_lock:
            await work()
    except Exception as exc:
        log.exception("message handling failed")
        await notices.error(
            "Something went wrong on my side while handling that message "
            f"({type(exc).__name__}). Your interview is saved; please try again."
        )


async def _handle(message: cl.Message) -> None:
    uploaded = await absorb_uploads(message)
    await _answer_text(message.content or "", uploaded=uploaded, spoken=False)


async def _answer_text(text: str, *, uploaded: bool, spoken: bool) -> None:
    command = parse_command(text)
    if command is not None:
        await handle_command(command)
        return
    session = state().session
    if session is None:
        if uploaded and not text.strip():
            return  # just a resume; the interview starts with the next message
        await open_interview()
        return
    if uploaded and not text.strip():
        return
    if session.finished:
        await notices.say("This interview is finished. Start a new chat for another one, or type `/end` to see the report again.")
        return
    check = check_answer(text)
    if check.problem:
        await notices.error(check.problem)
        return
    if check.notice:
        await notices.say(check.notice)
    await answer(session, check.text, spoken=spoken)
