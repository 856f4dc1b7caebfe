"""Every use of Chainlit's internals, in one place (what `cl.*` does not offer).

The rest of webapp/ uses the documented API only (`chainlit` as `cl`, `chainlit.input_widget`,
`chainlit.types`, `chainlit.data.storage_clients.base`; tests/test_architecture.py checks).
tests/test_chainlit_internals.py fails when an installed Chainlit no longer has what is used here,
with the shape used here (written against chainlit 2.12.0):

- `chainlit.session.WebsocketSession.get_by_id` and `chainlit.user_session.user_sessions`: a
  chat found by its session id (the route /interviewer/prewarm is a plain HTTP request);
- `chainlit.server.app` ends in a catch-all route that serves the UI, so a route of ours is
  moved in front of it; `chainlit.auth.get_current_user` reads the sign-in on such a route;
- `chainlit.data.get_data_layer` and `SQLAlchemyDataLayer`'s `engine`, `async_session` and
  `execute_sql`: the history database on our own engine, with parameters SQLite can bind;
- `chainlit run` applies nest_asyncio, which leaves the loop without an async-generator
  finaliser (`restore_async_generator_finaliser`).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.data.storage_clients.base import BaseStorageClient

if TYPE_CHECKING:
    from chainlit.data.base import BaseDataLayer
    from fastapi import FastAPI
    from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger("interviewer.app")


# -- chats kept in memory -----------------------------------------------------------------------
@dataclass(frozen=True)
class LiveChat:
    """A browser chat as Chainlit keeps it: who signed in, and its `cl.user_session` values."""

    owner: str | None
    values: Mapping[str, Any] = field(default_factory=dict)


def live_chat(session_id: str) -> LiveChat | None:
    """The chat whose Chainlit session id (the `X-Chainlit-Session-id` cookie) is `session_id`.

    Read through the modules at call time (not names imported once), so a test that replaces
    the registries is seen. `importlib`, because the package's `chainlit.user_session` attribute
    is the UserSession object, not the module."""
    if not session_id:
        return None
    sessions = importlib.import_module("chainlit.session")
    socket = sessions.WebsocketSession.get_by_id(session_id)
    if socket is None:
        return None
    owner = getattr(getattr(socket, "user", None), "identifier", None)
    values = importlib.import_module("chainlit.user_session").user_sessions.get(socket.id)
    return LiveChat(owner=owner if isinstance(owner, str) else None,
                    values=values if isinstance(values, dict) else {})


# -- routes on Chainlit's server ------------------------------------------------------------------
def current_user_dependency() -> Callable[..., Any]:
    """The FastAPI dependency Chainlit's own routes use to read the signed-in user."""
    from chainlit.auth import get_current_user

    return cast(Callable[..., Any], get_current_user)


def add_route_before_ui(add: Callable[[FastAPI], None]) -> None:
    """Let `add` register routes on Chainlit's app, then move them in front of its catch-all UI
    route (a route after it would never match). `add` must be idempotent (app.py may be
    imported twice)."""
    from chainlit.server import app

    before = len(app.router.routes)
    add(app)
    added = app.router.routes[before:]
    del app.router.routes[before:]
    app.router.routes[0:0] = added


# -- the history database -------------------------------------------------------------------------
def data_layer() -> BaseDataLayer | None:
    """The data layer app.py registered (None when history is off)."""
    from chainlit.data import get_data_layer

    return cast("BaseDataLayer | None", get_data_layer())


class EngineBoundDataLayer(SQLAlchemyDataLayer):
    """Chainlit's SQLAlchemy data layer on an engine we built (WAL and a busy timeout on SQLite),
    with every query's parameters passed through `bind_parameters` first."""

    def __init__(self, conninfo: str, engine: AsyncEngine, storage_provider: BaseStorageClient | None = None) -> None:
        super().__init__(conninfo=conninfo, storage_provider=storage_provider)
        self.engine = engine
        self.async_session.configure(bind=engine)

    def bind_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        return parameters

    async def execute_sql(self, query: str, parameters: dict[str, Any]) -> Any:
        # Shielded: Stop, End and a new message cancel the chat's task, and a cancellation that
        # lands inside SQLAlchemy's session cuts the connection's rollback short, so the pool logs
        # "Exception during reset or similar" with a traceback and the step is not written. The
        # write finishes in a task of its own; the caller is still cancelled at once.
        return await asyncio.shield(super().execute_sql(query, self.bind_parameters(parameters)))


# -- the event loop under `chainlit run` ----------------------------------------------------------
def restore_async_generator_finaliser() -> bool:
    """Give the running loop an async-generator finaliser again; True when one was missing.

    `chainlit run` applies nest_asyncio, whose `run_until_complete` (what `asyncio.run` becomes)
    never installs the loop's async-generator hooks. Without a finaliser, an async generator
    dropped unfinished is closed by the garbage collector on the spot, synchronously, inside
    whatever task is running. langchain-core's `astream` never closes the `_astream` generator it
    reads from, so every streamed question that stops early (the question is complete, Stop, a
    deadline) dropped one holding an open HTTP stream: closing it has to await, which a
    synchronous close cannot (`RuntimeError: async generator ignored GeneratorExit`), and the
    coroutine it abandons is closed later in another task (anyio: `Attempted to exit cancel
    scope in a different task than it was entered in`). With a finaliser, as every other asyncio
    loop has, such a generator is closed whole, in a task of its own."""
    hooks = sys.get_asyncgen_hooks()
    if hooks.finalizer is not None:
        return False
    loop = asyncio.get_running_loop()

    def finalise(generator: AsyncGenerator[Any, Any]) -> None:
        # Called by the garbage collector, possibly from another thread.
        if not loop.is_closed():
            loop.call_soon_threadsafe(_close_in_a_task, loop, generator)

    sys.set_asyncgen_hooks(firstiter=hooks.firstiter, finalizer=finalise)
    return True


def _close_in_a_task(loop: asyncio.AbstractEventLoop, generator: AsyncGenerator[Any, Any]) -> None:
    loop.create_task(generator.aclose()).add_done_callback(_report_failed_close)


def _report_failed_close(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("closing an abandoned async generator failed", exc_info=task.exception())
