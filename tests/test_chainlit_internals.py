"""What webapp/chainlit_internals.py takes from Chainlit beyond its documented API is still there,
with the shape it uses (written against chainlit 2.12.0). A failure here names what changed;
fix the one module, and this test with it.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import inspect
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import aclosing, contextmanager
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from interviewer.interview.engine import InterviewEngine
from interviewer.interview.personas import PersonaLibrary
from interviewer.llm.provider import make_chat_model
from interviewer.store import make_async_engine
from testkit import FakeLLMServer
from webapp import chainlit_internals

CHAINLIT = version("chainlit")


def params(function: Any) -> list[str]:
    return [p for p in inspect.signature(function).parameters if p != "self"]


# -- chats kept in memory ---------------------------------------------------------------------
def test_chats_are_found_by_session_id_in_two_registries() -> None:
    from chainlit.session import WebsocketSession

    sessions = importlib.import_module("chainlit.session")
    user_sessions = importlib.import_module("chainlit.user_session")
    assert isinstance(sessions.ws_sessions_id, dict), CHAINLIT
    assert isinstance(user_sessions.user_sessions, dict), CHAINLIT
    assert isinstance(inspect.getattr_static(WebsocketSession, "get_by_id"), classmethod), CHAINLIT
    assert params(WebsocketSession.get_by_id) == ["session_id"], CHAINLIT
    assert {"id", "user"} <= set(params(WebsocketSession.__init__)), CHAINLIT


def test_live_chat_reads_both_registries(monkeypatch: pytest.MonkeyPatch) -> None:
    sessions = importlib.import_module("chainlit.session")
    user_sessions = importlib.import_module("chainlit.user_session")
    socket = SimpleNamespace(id="ws-1", user=SimpleNamespace(identifier="alice"))
    monkeypatch.setattr(sessions, "ws_sessions_id", {"ws-1": socket, "ws-2": SimpleNamespace(id="ws-2", user=None)})
    monkeypatch.setattr(user_sessions, "user_sessions", {"ws-1": {"key": "value"}})
    assert chainlit_internals.live_chat("ws-1") == chainlit_internals.LiveChat("alice", {"key": "value"})
    assert chainlit_internals.live_chat("ws-2") == chainlit_internals.LiveChat(None, {})
    assert chainlit_internals.live_chat("ws-3") is None
    assert chainlit_internals.live_chat("") is None


# -- routes on Chainlit's server --------------------------------------------------------------
def test_chainlit_serves_its_ui_from_a_catch_all_route_and_ours_go_first() -> None:
    from chainlit.server import app, router

    assert any(getattr(r, "path", None) == "/{full_path:path}" for r in router.routes), CHAINLIT
    before = list(app.router.routes)

    def add(target: FastAPI) -> None:
        target.add_api_route("/interviewer/_probe", lambda: {"ok": True}, methods=["GET"])

    try:
        chainlit_internals.add_route_before_ui(add)
        assert getattr(app.router.routes[0], "path", None) == "/interviewer/_probe"
        assert app.router.routes[1:] == before
    finally:
        app.router.routes[:] = before


def test_the_sign_in_dependency_is_an_async_function_of_the_token() -> None:
    dependency = chainlit_internals.current_user_dependency()
    assert inspect.iscoroutinefunction(dependency), CHAINLIT
    assert params(dependency) == ["token"], CHAINLIT


# -- the history database ----------------------------------------------------------------------
def test_the_data_layer_hooks_have_the_shape_used() -> None:
    from chainlit.data import get_data_layer
    from chainlit.data.base import BaseDataLayer
    from chainlit.data.sql_alchemy import SQLAlchemyDataLayer

    assert params(get_data_layer) == [], CHAINLIT
    assert {"conninfo", "storage_provider"} <= set(params(SQLAlchemyDataLayer.__init__)), CHAINLIT
    assert params(SQLAlchemyDataLayer.execute_sql) == ["query", "parameters"], CHAINLIT
    assert {"thread_id", "name", "metadata"} <= set(params(BaseDataLayer.update_thread)), CHAINLIT


async def test_the_data_layer_runs_on_our_engine_and_binds_through_our_hook(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    engine = make_async_engine(url)
    seen: list[dict[str, Any]] = []

    class Layer(chainlit_internals.EngineBoundDataLayer):
        def bind_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
            seen.append(parameters)
            return {"value": str(parameters["value"])}

    layer = Layer(f"sqlite+aiosqlite:///{tmp_path / 'history.db'}", engine)
    try:
        assert layer.engine is engine
        assert await layer.execute_sql("SELECT :value AS value", {"value": 7}) == [{"value": "7"}]
        assert seen == [{"value": 7}]
    finally:
        await engine.dispose()


# -- the event loop under `chainlit run` -----------------------------------------------------------
def test_chainlit_run_leaves_its_loop_without_an_async_generator_finaliser() -> None:
    """`chainlit run` applies nest_asyncio (chainlit/cli/__init__.py); in a child process, as the
    app runs. If this fails because the finaliser is there, Chainlit stopped stripping it and
    `restore_async_generator_finaliser` has nothing left to do."""
    script = textwrap.dedent("""
        import asyncio, sys
        import chainlit.cli  # noqa: F401  (applies nest_asyncio, as `chainlit run` does)
        from webapp.chainlit_internals import restore_async_generator_finaliser

        async def main():
            before = sys.get_asyncgen_hooks().finalizer
            restored = restore_async_generator_finaliser()
            print(before is None, restored, sys.get_asyncgen_hooks().finalizer is not None)

        asyncio.run(main())
    """)
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "True"], (CHAINLIT, done.stdout, done.stderr)


@contextmanager
def asyncgen_hooks(**hooks: Any) -> Iterator[None]:
    saved = sys.get_asyncgen_hooks()
    sys.set_asyncgen_hooks(**hooks)
    try:
        yield
    finally:
        sys.set_asyncgen_hooks(*saved)


async def one_question(fake: FakeLLMServer) -> list[str]:
    """One streamed question, read as the app reads it (the engine stops reading once the
    question is complete); what went to `sys.unraisablehook` meanwhile."""
    unraisable: list[str] = []
    saved = sys.unraisablehook
    sys.unraisablehook = lambda info: unraisable.append(f"{info.err_msg}: {info.exc_value!r}")
    try:
        model = make_chat_model(base_url=fake.url, api_key="sk-test", model="fake-model",
                                openai_native=False, streaming=True, max_retries=0)
        engine = InterviewEngine(model, PersonaLibrary.load())
        session = engine.new_session("dour-cto", seed=1)
        fake.text_replies.append("What did you measure first? " + "And then we looked again. " * 30)
        async with aclosing(engine.open(session)) as events:
            async for _ in events:
                pass
        assert session.questions()
        for _ in range(5):  # what is left behind is closed by now
            gc.collect()
            await asyncio.sleep(0.05)
    finally:
        sys.unraisablehook = saved
    return unraisable


async def test_a_stream_cut_short_closes_cleanly_once_the_finaliser_is_restored() -> None:
    """The cause of the app log's tracebacks, and the fix, in this process: the same loop as the
    app's (no async-generator hooks), one question before and one after restoring."""
    with FakeLLMServer(token_delay=0.005) as fake, asyncgen_hooks(firstiter=None, finalizer=None):
        broken = await one_question(fake)
        assert chainlit_internals.restore_async_generator_finaliser() is True
        assert chainlit_internals.restore_async_generator_finaliser() is False  # once is enough
        fixed = await one_question(fake)
    # If this one fails, langchain and httpx no longer leave a stream to the garbage collector
    # (the finaliser stays right to have: every other asyncio loop has one).
    assert any("ignored GeneratorExit" in u for u in broken), broken
    assert fixed == []
