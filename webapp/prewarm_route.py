"""POST /interviewer/prewarm: the page hands over the answer being typed (issue 14).

public/prewarm.js calls it about 700 ms after the candidate stops typing; the engine then lets the
embedded model read the interview so far plus the draft (`InterviewEngine.prewarm`), so after
Enter it reads only the last words and a short note. Nothing here stores or shows the draft.

Which interview: the page cannot see Chainlit's session id, but Chainlit itself sets it as the
`X-Chainlit-Session-id` cookie (POST /set-session-cookie) before the socket connects, and the
browser sends it with every same-origin request. The websocket session found by that id must
belong to the signed-in user (the same check Chainlit makes for its own element routes); anything
else is a 404 that says nothing about whose session it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

from webapp.chainlit_internals import add_route_before_ui, current_user_dependency, live_chat
from webapp.services import get_services
from webapp.state import ChatState, stored_state

log = logging.getLogger("interviewer.app")

ROUTE = "/interviewer/prewarm"
SESSION_COOKIE = "X-Chainlit-Session-id"
MAX_DRAFT_CHARS = 20_000  # far past the 1,200 tokens the interviewer reads of an answer

RouteStatus = Literal["sent", "queued", "off", "busy", "idle"]


class PrewarmRequest(BaseModel):
    draft: str = Field(max_length=MAX_DRAFT_CHARS)


class PrewarmResponse(BaseModel):
    status: RouteStatus


def chat_state(session_id: str, user: Any) -> ChatState | None:
    """The state of the user's own chat (None before it holds any); 404 for anyone else's."""
    chat = live_chat(session_id)
    if chat is None or chat.owner is None or chat.owner != getattr(user, "identifier", None):
        raise HTTPException(status_code=404, detail="Not found")
    return stored_state(chat.values)


async def prewarm_draft(chat: ChatState | None, draft: str) -> RouteStatus:
    """Hand the draft to the engine unless there is nothing to prepare."""
    if chat is None or chat.session is None:
        return "idle"  # the interview starts with the first message; nothing to read yet
    if draft.lstrip().startswith("/"):
        return "idle"  # a command (/end, /persona ...), not an answer
    if chat.turn_lock.locked():
        return "busy"  # a message is being handled right now
    engine = get_services().engine
    if engine is None:
        return "off"
    status: RouteStatus = await engine.prewarm(chat.session, draft)
    return status


def add_prewarm_route(app: FastAPI, current_user: Callable[..., Any]) -> None:
    """Register the route on `app`; `current_user` is the dependency that reads the sign-in."""

    async def prewarm(request: Request, body: PrewarmRequest, user: Any = Depends(current_user)) -> PrewarmResponse:
        if user is None:  # the app always signs users in (webapp.auth); no user, no interview
            raise HTTPException(status_code=401, detail="Not signed in")
        chat = chat_state(request.cookies.get(SESSION_COOKIE, ""), user)
        return PrewarmResponse(status=await prewarm_draft(chat, body.draft))

    if any(getattr(r, "path", None) == ROUTE for r in app.router.routes):
        return
    app.add_api_route(ROUTE, prewarm, methods=["POST"], response_model=PrewarmResponse)


def install_prewarm_route() -> None:
    """On Chainlit's app, in front of its catch-all UI route (as the download route in
    webapp.storage)."""
    add_route_before_ui(lambda app: add_prewarm_route(app, current_user_dependency()))
