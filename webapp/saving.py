"""Persisting this chat's interview: every save goes through `save`, one at a time per chat.

Why one at a time: `SessionStore.asave` copies the session when called and writes on the store's
own loop, so two saves in flight (the turn's last save and a score landing in the background) can
commit in either order, and the later commit of the older copy put a pending score back after the
score's step was on screen. Under the chat's save lock each save copies the session only when its
turn comes, so the last one written is always the newest.
"""

from __future__ import annotations

from interviewer.session import Session
from webapp.services import get_services
from webapp.state import state, thread_id


async def save(session: Session) -> None:
    """Store `session` linked to this chat's thread (waits for a save still in flight)."""
    async with state().save_lock:
        await get_services().store.asave(session, thread_id=thread_id())
