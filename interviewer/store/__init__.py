"""Durable interview sessions, shared by the CLI and the browser app.

One table, one row per interview: the whole `Session` as JSON plus the few columns needed to find
it (owner, browser thread, persona, state). The JSON is the source of truth, so a schema change in
`Session` never needs a migration here; `schema_version` inside the JSON says how to read it.
Each save also copies the session's claims into the user's claim ledger (interviewer.store.ledger_table),
in the same transaction, so the ledger outlives any session file and can be deleted on its own.

Why everything runs on a private event loop thread: the app calls the store from Chainlit's loop,
the CLI from `asyncio.run` or plain sync code, tests from a fresh loop per test. An async SQLAlchemy
engine (aiosqlite / asyncpg, the same drivers Chainlit's data layer uses) is bound to the loop that
opened its connections, so the store owns one loop in one daemon thread and every call, sync or
async, is executed there. Writes to SQLite are thereby serialised too.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import (
    Boolean,
    Column,
    MetaData,
    String,
    Table,
    Text,
    event,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from interviewer.claims import Claim
from interviewer.config import Settings, default_cache_dir, load_settings
from interviewer.session import Session
from interviewer.store import ledger_table
from interviewer.store.ledger_table import PRIOR_CLAIMS_LIMIT, LedgerEntry, ledger_metadata

T = TypeVar("T")
SCHEMA_LOCK = 0x696E7476  # any fixed number: the advisory lock creating the tables ("intv")

metadata = MetaData()

# Named so it cannot collide with Chainlit's own tables (users, threads, steps, ...) when both
# live in one database, which is the default.
sessions_table = Table(
    "interview_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("thread_id", String(64), nullable=True, unique=True, index=True),
    Column("user_id", String(255), nullable=False, index=True),
    Column("persona", String(255), nullable=False),
    Column("finished", Boolean, nullable=False, default=False),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("data", Text, nullable=False),
)


class StoreError(RuntimeError):
    """The database could not be reached or written; the message says which and why."""


class StoreClosed(StoreError):
    """The store was closed (the app is shutting down): nothing more can be written."""


def default_database_path(cache_dir: Path | None = None) -> Path:
    return (cache_dir or default_cache_dir()) / "interviewer.db"


def resolve_database_url(settings: Settings | None = None) -> str:
    """The database every part of the app shares, as a *sync-style* SQLAlchemy URL.

    `Settings.database_url` (INTERVIEWER_DATABASE_URL, else DATABASE_URL, the name every PaaS
    uses), else SQLite in the cache directory. Without `settings` they are read here."""
    settings = settings or load_settings()
    return settings.database_url or f"sqlite:///{default_database_path(settings.cache_dir)}"


def async_database_url(url: str) -> str:
    """Pick the async driver for a URL: aiosqlite for SQLite, asyncpg for PostgreSQL."""
    if url.startswith("postgres://"):  # Heroku-style scheme SQLAlchemy doesn't accept
        url = "postgresql://" + url.removeprefix("postgres://")
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    elif backend == "postgresql":
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def make_async_engine(url: str) -> AsyncEngine:
    """An async engine with the SQLite settings two writers need (the app's data layer and this
    store share the file): WAL so readers never block the writer, and a busy timeout instead of an
    immediate 'database is locked'."""
    async_url = async_database_url(url)
    if async_url.startswith("sqlite"):
        engine = create_async_engine(async_url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_async_engine(async_url, pool_pre_ping=True)


def _iso(value: datetime) -> str:
    return value.isoformat()


class SessionStore:
    """Save and load interview sessions. Safe to call from any thread or event loop.

    Sync methods (`save`, `load`, ...) serve the CLI; `a`-prefixed ones serve async callers and
    never block their loop."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or resolve_database_url()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="session-store", daemon=True)
        self._thread.start()
        self._engine: AsyncEngine | None = None
        self._ready = False
        self._init_lock: asyncio.Lock | None = None
        self._closed = False

    # -- plumbing ----------------------------------------------------------------------------
    def _submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        if self._closed:
            coro.close()
            raise StoreClosed("the session store is closed")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._submit(coro).result()

    async def _arun(self, coro: Coroutine[Any, Any, T]) -> T:
        # Shielded: a cancelled caller (Stop, a reload) would otherwise cancel the store's task
        # mid-transaction (wrap_future passes cancellation on), which loses the write and makes
        # SQLAlchemy's pool log a traceback; the write finishes, the caller is cancelled at once.
        return await asyncio.shield(asyncio.wrap_future(self._submit(coro)))

    async def _engine_ready(self) -> AsyncEngine:
        if self._ready and self._engine is not None:
            return self._engine
        if self._init_lock is None:  # created here: it must belong to the store's loop
            self._init_lock = asyncio.Lock()
        async with self._init_lock:
            if not self._ready:
                try:
                    if self._engine is None:
                        self._engine = make_async_engine(self.url)
                    async with self._engine.begin() as conn:
                        if conn.dialect.name == "postgresql":
                            # Two instances opening one new database at once both find no table
                            # and both CREATE it; PostgreSQL then fails the second on its catalogue
                            # (pg_type unique violation). A lock held until this transaction ends
                            # makes the second wait and find the tables.
                            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
                        await conn.run_sync(metadata.create_all)
                        await conn.run_sync(ledger_metadata.create_all)
                except Exception as exc:  # driver errors vary (OSError, asyncpg, sqlite3)
                    raise StoreError(
                        f"cannot open the session database {self._safe_url()}: {exc}"
                    ) from exc
                self._ready = True
        assert self._engine is not None
        return self._engine

    def _safe_url(self) -> str:
        try:
            return make_url(self.url).render_as_string(hide_password=True)
        except Exception:
            return "(unparseable URL)"

    # -- the work, always on the store's loop ------------------------------------------------
    async def _save(self, session: Session, thread_id: str | None) -> None:
        engine = await self._engine_ready()
        async with engine.begin() as conn:
            forgotten = await ledger_table.forgotten_at(conn, session.user_id)
            if forgotten is not None and ledger_table.utc(session.created_at) <= forgotten:
                # Started before the user deleted their ledger: its copies of earlier claims were
                # deleted with it and must not come back with this save (`session` is a copy).
                session.context.prior_claims = []
            # The session row first: on PostgreSQL its upsert locks the row, so two instances
            # saving one session replace its ledger rows one after the other.
            await self._upsert_session(conn, session, thread_id)
            await ledger_table.replace_session_claims(conn, session, forgotten)

    async def _upsert_session(self, conn: AsyncConnection, session: Session, thread_id: str | None) -> None:
        row: dict[str, Any] = {
            "id": session.id,
            "user_id": session.user_id,
            "persona": session.persona,
            "finished": session.finished,
            "created_at": _iso(session.created_at),
            "updated_at": _iso(session.updated_at),
            "data": session.to_json(),
        }
        if thread_id is not None:
            row["thread_id"] = thread_id
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt = pg_insert(sessions_table).values(**row)
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(sessions_table).values(**row)  # type: ignore[assignment]
        # Upsert; a save without thread_id keeps the thread link made earlier.
        updates = {k: stmt.excluded[k] for k in row if k != "id"}
        await conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=updates))

    async def _load(self, column: str, value: str) -> Session | None:
        engine = await self._engine_ready()
        async with engine.connect() as conn:
            result = await conn.execute(
                select(sessions_table.c.data).where(sessions_table.c[column] == value)
            )
            data = result.scalar_one_or_none()
        return self._parse(data)

    async def _list(self, user_id: str, finished_only: bool) -> list[Session]:
        engine = await self._engine_ready()
        query = select(sessions_table.c.data).where(sessions_table.c.user_id == user_id)
        if finished_only:
            query = query.where(sessions_table.c.finished.is_(True))
        async with engine.connect() as conn:
            rows = (await conn.execute(query.order_by(sessions_table.c.created_at))).scalars().all()
        sessions = [self._parse(data) for data in rows]
        return [s for s in sessions if s is not None]

    async def _delete(self, session_id: str) -> None:
        engine = await self._engine_ready()
        async with engine.begin() as conn:
            await conn.execute(sessions_table.delete().where(sessions_table.c.id == session_id))
            await ledger_table.delete_session_claims(conn, session_id)

    async def _ledger(self, user_id: str) -> list[LedgerEntry]:
        engine = await self._engine_ready()
        async with engine.connect() as conn:
            rows = await ledger_table.read_newest_first(conn, user_id, None)
        return list(ledger_table.entries(rows))[::-1]

    async def _user_claims(self, user_id: str, exclude_session: str | None, limit: int) -> list[Claim]:
        engine = await self._engine_ready()
        async with engine.connect() as conn:
            rows = await ledger_table.read_newest_first(conn, user_id, exclude_session)
        return ledger_table.prior_claims(ledger_table.entries(rows), limit)

    async def _delete_user_ledger(self, user_id: str) -> int:
        engine = await self._engine_ready()
        async with engine.begin() as conn:
            deleted = await ledger_table.forget_user(conn, user_id, datetime.now(UTC))
            await self._drop_prior_claims(conn, user_id)
        return deleted

    async def _drop_prior_claims(self, conn: AsyncConnection, user_id: str) -> None:
        """Stored sessions keep copies of earlier claims in `context.prior_claims`; deleting the
        ledger deletes those copies too. Transcripts, scores and each session's own claims stay."""
        query = select(sessions_table.c.id, sessions_table.c.data).where(sessions_table.c.user_id == user_id)
        for session_id, data in (await conn.execute(query)).all():
            session = self._parse(data)
            if session is None or not session.context.prior_claims:
                continue
            session.context.prior_claims = []
            update = sessions_table.update().where(sessions_table.c.id == session_id)
            await conn.execute(update.values(data=session.to_json()))

    @staticmethod
    def _parse(data: str | None) -> Session | None:
        if data is None:
            return None
        try:
            return Session.from_json(data)
        except ValidationError:
            # A row written by an incompatible version must not take the app down; the caller
            # treats it like a missing session and starts over.
            return None

    # -- sync API (CLI) ----------------------------------------------------------------------
    def save(self, session: Session, *, thread_id: str | None = None) -> None:
        """Insert or replace the session. `thread_id` links it to a browser chat thread."""
        self._run(self._save(session.model_copy(deep=True), thread_id))

    def load(self, session_id: str) -> Session | None:
        return self._run(self._load("id", session_id))

    def load_by_thread(self, thread_id: str) -> Session | None:
        return self._run(self._load("thread_id", thread_id))

    def list_for_user(self, user_id: str, *, finished_only: bool = False) -> list[Session]:
        """The user's sessions, oldest first (the order a progress chart wants)."""
        return self._run(self._list(user_id, finished_only))

    def delete(self, session_id: str) -> None:
        """Delete a session and its claims from the ledger."""
        self._run(self._delete(session_id))

    def ledger(self, user_id: str) -> list[LedgerEntry]:
        """Every claim stored for the user, oldest first: what they can see and delete."""
        return self._run(self._ledger(user_id))

    def user_claims(self, user_id: str, *, exclude_session: str | None = None,
                    limit: int = PRIOR_CLAIMS_LIMIT) -> list[Claim]:
        """The claims a new session compares with: the user's most recent `limit` claims from
        sessions other than `exclude_session`, oldest first, each with `source.session_id` naming
        its session; repeated résumé claims once (see ledger_table.prior_claims)."""
        return self._run(self._user_claims(user_id, exclude_session, limit))

    def delete_user_ledger(self, user_id: str) -> int:
        """Delete the user's claim ledger (not their sessions); returns how many claims it held.
        Claims said before now are never stored again, even by a session still running."""
        return self._run(self._delete_user_ledger(user_id))

    # -- async API (app) ---------------------------------------------------------------------
    async def asave(self, session: Session, *, thread_id: str | None = None) -> None:
        # Copy on the caller's side: the engine keeps mutating the live session meanwhile.
        await self._arun(self._save(session.model_copy(deep=True), thread_id))

    async def aload(self, session_id: str) -> Session | None:
        return await self._arun(self._load("id", session_id))

    async def aload_by_thread(self, thread_id: str) -> Session | None:
        return await self._arun(self._load("thread_id", thread_id))

    async def alist_for_user(self, user_id: str, *, finished_only: bool = False) -> list[Session]:
        return await self._arun(self._list(user_id, finished_only))

    async def adelete(self, session_id: str) -> None:
        await self._arun(self._delete(session_id))

    async def aledger(self, user_id: str) -> list[LedgerEntry]:
        return await self._arun(self._ledger(user_id))

    async def auser_claims(self, user_id: str, *, exclude_session: str | None = None,
                           limit: int = PRIOR_CLAIMS_LIMIT) -> list[Claim]:
        return await self._arun(self._user_claims(user_id, exclude_session, limit))

    async def adelete_user_ledger(self, user_id: str) -> int:
        return await self._arun(self._delete_user_ledger(user_id))

    # -- lifecycle ---------------------------------------------------------------------------
    async def _shutdown(self) -> None:
        # Let saves already submitted finish, then close connections, so no driver thread
        # calls back into a closed loop.
        current = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks() if t is not current]
        if pending:
            await asyncio.wait(pending, timeout=10)
        if self._engine is not None:
            await self._engine.dispose()

    def close(self) -> None:
        if self._closed:
            return
        try:
            self._run(self._shutdown())
        except Exception:
            pass
        self._closed = True
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._loop.is_running():
            self._loop.close()

    def __enter__(self) -> "SessionStore":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
