"""POST /interviewer/prewarm (webapp/prewarm_route.py): only the signed-in owner of a live chat, found by
Chainlit's session cookie, gets the draft to the engine; everything else is refused or ignored."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from interviewer.config import load_settings
from interviewer.interview.engine import InterviewEngine
from interviewer.interview.personas import PersonaLibrary
from interviewer.session import Session
from interviewer.store import SessionStore
from testkit.chat_model import FunctionChatModel
from webapp.prewarm_route import ROUTE, SESSION_COOKIE, add_prewarm_route
from webapp.services import Services, set_services
from webapp.state import KEY, ChatState

LIBRARY = PersonaLibrary.load()


def current_user(request: Request) -> Any:
    """Stands in for Chainlit's get_current_user (which reads its signed cookie)."""
    name = request.headers.get("x-test-user")
    return SimpleNamespace(identifier=name) if name else None


@pytest.fixture
def model() -> FunctionChatModel:
    return FunctionChatModel(default=lambda _m: "Why did that happen?")


@pytest.fixture
def engine(tmp_path: Path, model: FunctionChatModel) -> Iterator[InterviewEngine]:
    store = SessionStore(f"sqlite:///{tmp_path / 'app.db'}")
    engine = InterviewEngine(model, LIBRARY, prewarm=True)
    svc = Services(settings=load_settings(cache_dir=tmp_path), personas=LIBRARY, store=store, engine=engine,
                   database_url=store.url)
    set_services(svc)
    yield engine
    set_services(None)
    store.close()


@pytest.fixture
async def interview(engine: InterviewEngine) -> Session:
    session = engine.new_session("dour-cto")
    async for _ in engine.open(session):
        pass
    return session


@pytest.fixture
def chats(monkeypatch: pytest.MonkeyPatch, interview: Session) -> ChatState:
    """Two live Chainlit chats: alice's (with an interview, whose state is returned) and bob's
    (before its first message: no state yet)."""
    # By module path: the package's `chainlit.user_session` name is the UserSession object.
    cl_session = importlib.import_module("chainlit.session")
    cl_user_session = importlib.import_module("chainlit.user_session")

    state = ChatState(session=interview)
    sockets = {
        "ws-alice": SimpleNamespace(id="ws-alice", user=SimpleNamespace(identifier="alice")),
        "ws-bob": SimpleNamespace(id="ws-bob", user=SimpleNamespace(identifier="bob")),
    }
    monkeypatch.setattr(cl_session, "ws_sessions_id", sockets)
    monkeypatch.setattr(cl_user_session, "user_sessions", {"ws-alice": {KEY: state}, "ws-bob": {}})
    return state


@pytest.fixture
async def client(chats: ChatState) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    add_prewarm_route(app, current_user)
    add_prewarm_route(app, current_user)  # idempotent
    assert sum(getattr(r, "path", None) == ROUTE for r in app.router.routes) == 1
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        yield http


async def post(client: httpx.AsyncClient, draft: str, *, user: str | None = "alice",
               chat: str | None = "ws-alice") -> httpx.Response:
    headers = {"x-test-user": user} if user else {}
    client.cookies.clear()
    if chat:
        client.cookies.set(SESSION_COOKIE, chat)  # what Chainlit's /set-session-cookie leaves
    return await client.post(ROUTE, json={"draft": draft}, headers=headers)


async def test_the_owner_s_draft_reaches_the_engine_and_is_not_stored(
    client: httpx.AsyncClient, engine: InterviewEngine, interview: Session, model: FunctionChatModel
) -> None:
    before = interview.to_json()
    response = await post(client, "I was on call when the payments queue backed up")
    assert response.status_code == 200 and response.json() == {"status": "sent"}
    await engine.prewarm_settled(interview)
    assert str(model.calls[-1][-1].content).endswith("Candidate: I was on call when the payments queue backed up")
    assert interview.to_json() == before


async def test_not_signed_in_is_401(client: httpx.AsyncClient, engine: InterviewEngine) -> None:
    assert (await post(client, "hello", user=None)).status_code == 401
    assert engine.prewarmer.sent == 0


@pytest.mark.parametrize("chat", [None, "ws-nobody", "ws-bob"])
async def test_no_unknown_or_someone_else_s_chat_is_404(
    client: httpx.AsyncClient, engine: InterviewEngine, chat: str | None
) -> None:
    # Bob's chat exists, but alice is asking: the same 404 as for a chat that does not exist.
    response = await post(client, "hello", chat=chat)
    assert response.status_code == 404 and "bob" not in response.text
    assert engine.prewarmer.sent == 0


async def test_bob_without_an_interview_is_idle(client: httpx.AsyncClient, engine: InterviewEngine) -> None:
    response = await post(client, "hello", user="bob", chat="ws-bob")
    assert response.json() == {"status": "idle"} and engine.prewarmer.sent == 0


async def test_commands_busy_chats_and_huge_drafts_are_not_sent(
    client: httpx.AsyncClient, engine: InterviewEngine, chats: ChatState
) -> None:
    assert (await post(client, "/end")).json() == {"status": "idle"}
    async with chats.turn_lock:  # a message is being handled
        assert (await post(client, "my answer")).json() == {"status": "busy"}
    assert (await post(client, "x" * 20_001)).status_code == 422
    assert engine.prewarmer.sent == 0


async def test_prewarm_off_says_so(client: httpx.AsyncClient, engine: InterviewEngine) -> None:
    engine.prewarmer.enabled = False
    assert (await post(client, "my answer")).json() == {"status": "off"}
