"""Per-chat state: one typed object per browser chat, under one `cl.user_session` key.

Chainlit keeps a dict per websocket session (`cl.user_session`); everything of ours lives in the
one `ChatState` stored there, so the chat modules and the prewarm route (which finds a chat by
its Chainlit session id, webapp.chainlit_internals) read the same fields with their types.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import chainlit as cl

from interviewer.session import LOCAL_USER, Session
from interviewer.voice.recording import LiveTranscription
from webapp.support.preferences import AppPreferences, default_preferences

KEY = "interviewer_chat"


@dataclass
class ChatState:
    """What one browser chat holds between events."""

    # The live interview (also in the SessionStore, keyed by thread id); None before it starts.
    session: Session | None = None
    # The persona picked before the interview starts (afterwards the session's own is used).
    persona: str | None = None
    prefs: AppPreferences = field(default_factory=default_preferences)
    # One message at a time per chat: two answers racing would both open an interview or both
    # claim the same question. The browser disables input while a reply runs; API clients don't.
    turn_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Saves of this chat's interview one after another, each of the state at its turn: two saves
    # in flight at once may land in either order, and a late one would put back an older state.
    save_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # The latest interviewer message: its End action moves to the next one.
    last_question: cl.Message | None = None
    # The `/forget-ledger` question whose buttons are still on screen (webapp.ledger).
    ledger_confirmation: cl.Message | None = None
    # The background task swapping the model's rewrites into the report (webapp.feedback).
    report_rewrites: asyncio.Task[None] | None = None
    # The answer being spoken while the mic is on (webapp.microphone); None when it is off.
    listening: LiveTranscription | None = None
    # The browser's audio player is connected once the mic has been used in this page: spoken
    # questions can then stream to it sentence by sentence (webapp.read_aloud).
    player_connected: bool = False


def state() -> ChatState:
    """This chat's state (created on first use)."""
    value = cl.user_session.get(KEY)
    if not isinstance(value, ChatState):
        value = ChatState()
        cl.user_session.set(KEY, value)
    return value


def stored_state(values: Mapping[str, Any]) -> ChatState | None:
    """The state in a chat's `cl.user_session` values, read from outside the chat (no context)."""
    value = values.get(KEY)
    return value if isinstance(value, ChatState) else None


def thread_id() -> str:
    return str(cl.context.session.thread_id)


def user_id() -> str:
    """The signed-in user's identifier (the CLI's local user when nobody is signed in)."""
    user = cl.context.session.user
    return str(getattr(user, "identifier", None) or LOCAL_USER)
