"""Chainlit's SQLAlchemy data layer on SQLite (default) or PostgreSQL, with the schema it needs.

Chainlit 2.12 ships `SQLAlchemyDataLayer` but no schema, and it swallows every SQL error with a
log line: a missing column or a list bound to SQLite silently drops a message or a whole thread.
So the schema below matches the columns its queries name (read from chainlit/data/sql_alchemy.py
and the *Dict types it inserts wholesale), and `HistoryDataLayer` turns the two value types SQLite
cannot bind (lists and dicts in `tags` / `modes`) into JSON text before they reach it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from chainlit.data.storage_clients.base import BaseStorageClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from interviewer.store import StoreError, async_database_url, make_async_engine
from webapp.chainlit_internals import EngineBoundDataLayer
from webapp.services import get_services

log = logging.getLogger("interviewer.app")

# {uuid} {json} {list} are filled per dialect: PostgreSQL gets native types, SQLite TEXT.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    "id" {uuid} PRIMARY KEY,
    "identifier" TEXT NOT NULL UNIQUE,
    "metadata" {json} NOT NULL,
    "createdAt" TEXT
);
CREATE TABLE IF NOT EXISTS threads (
    "id" {uuid} PRIMARY KEY,
    "createdAt" TEXT,
    "name" TEXT,
    "userId" {uuid},
    "userIdentifier" TEXT,
    "tags" {list},
    "metadata" {json},
    FOREIGN KEY ("userId") REFERENCES users("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS threads_user_idx ON threads ("userId");
CREATE TABLE IF NOT EXISTS steps (
    "id" {uuid} PRIMARY KEY,
    "name" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "threadId" {uuid} NOT NULL,
    "parentId" {uuid},
    "streaming" BOOLEAN NOT NULL,
    "waitForAnswer" BOOLEAN,
    "isError" BOOLEAN,
    "metadata" {json},
    "tags" {list},
    "input" TEXT,
    "output" TEXT,
    "createdAt" TEXT,
    "command" TEXT,
    "modes" {json},
    "start" TEXT,
    "end" TEXT,
    "generation" {json},
    "showInput" TEXT,
    "defaultOpen" BOOLEAN,
    "autoCollapse" BOOLEAN,
    "language" TEXT,
    "icon" TEXT,
    FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS steps_thread_idx ON steps ("threadId");
CREATE TABLE IF NOT EXISTS elements (
    "id" {uuid} PRIMARY KEY,
    "threadId" {uuid},
    "type" TEXT,
    "url" TEXT,
    "chainlitKey" TEXT,
    "name" TEXT NOT NULL,
    "display" TEXT,
    "objectKey" TEXT,
    "size" TEXT,
    "page" INT,
    "language" TEXT,
    "forId" {uuid},
    "mime" TEXT,
    "props" {json},
    "autoPlay" BOOLEAN,
    "playerConfig" {json},
    FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS elements_thread_idx ON elements ("threadId");
CREATE TABLE IF NOT EXISTS feedbacks (
    "id" {uuid} PRIMARY KEY,
    "forId" {uuid} NOT NULL,
    "threadId" {uuid} NOT NULL,
    "value" INT NOT NULL,
    "comment" TEXT,
    FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE
);
"""

_TYPES = {
    "postgresql": {"uuid": "UUID", "json": "JSONB", "list": "TEXT[]"},
    "sqlite": {"uuid": "TEXT", "json": "TEXT", "list": "TEXT"},
}


def schema_statements(dialect: str) -> list[str]:
    types = _TYPES["postgresql" if dialect == "postgresql" else "sqlite"]
    return [s.strip() for s in _SCHEMA.format(**types).split(";") if s.strip()]


async def create_schema(engine: AsyncEngine) -> None:
    """Create Chainlit's tables if they are missing (idempotent; runs at every start)."""
    async with engine.begin() as conn:
        for statement in schema_statements(engine.dialect.name):
            await conn.execute(text(statement))


def _jsonable(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, (list, dict)) else value


class HistoryDataLayer(EngineBoundDataLayer):
    """Chainlit's `SQLAlchemyDataLayer` on an engine tuned for a shared SQLite file (WAL + busy
    timeout, see interviewer.store), with list-safe writes."""

    def __init__(self, url: str, storage_provider: BaseStorageClient | None = None) -> None:
        async_url = async_database_url(url)
        super().__init__(async_url, make_async_engine(url), storage_provider=storage_provider)
        self._is_sqlite = async_url.startswith("sqlite")

    async def setup(self) -> None:
        await create_schema(self.engine)

    async def delete_thread(self, thread_id: str) -> None:
        """Deleting a chat from the history deletes the interview behind it too, and with it its
        claims in the user's ledger (Chainlit has checked that the thread is the user's)."""
        await super().delete_thread(thread_id)
        store = get_services().store
        try:
            session = await store.aload_by_thread(thread_id)
            if session is not None:
                await store.adelete(session.id)
        except StoreError:  # the chat is gone already; say why its interview is not
            log.exception("deleted chat %s, but not the interview behind it", thread_id)

    def bind_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        if self._is_sqlite:
            return {k: _jsonable(v) for k, v in parameters.items()}
        return parameters


def create_schema_sync(url: str) -> None:
    """Create the tables before Chainlit's first query. Runs on its own loop in a short-lived
    thread because Chainlit builds the data layer from synchronous code."""
    import asyncio
    import threading

    errors: list[BaseException] = []

    async def run() -> None:
        engine = make_async_engine(url)
        try:
            await create_schema(engine)
        finally:
            await engine.dispose()

    def target() -> None:
        try:
            asyncio.run(run())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target, name="chainlit-schema")
    thread.start()
    thread.join()
    if errors:
        raise RuntimeError(f"cannot create the chat history tables: {errors[0]}") from errors[0]
