"""SessionStore: every turn and score survives a round trip, from sync and async callers alike."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from interviewer.config import load_settings
from interviewer.session import (
    EvalStatus,
    Evaluation,
    Session,
    Turn,
    TurnKind,
)
from interviewer.store import (
    SessionStore,
    StoreClosed,
    StoreError,
    async_database_url,
    resolve_database_url,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SessionStore]:
    with SessionStore(f"sqlite:///{tmp_path / 'store.db'}") as s:
        yield s


def make_session(user: str = "local", persona: str = "dour-cto") -> Session:
    session = Session(user_id=user, persona=persona)
    session.add_turn(Turn(role="interviewer", kind=TurnKind.QUESTION, text="Why did it fail?"))
    answer = session.add_turn(
        Turn(role="candidate", kind=TurnKind.ANSWER, text="The cache expired; I traced it in logs.")
    )
    session.set_evaluation(
        answer.id,
        Evaluation(
            status=EvalStatus.OK,
            honesty=4,
            root_cause=3,
            storytelling=2,
            evidence={"root_cause": ["I traced it in logs"]},
            flags=["no impact stated"],
        ),
    )
    session.switch_persona("friendly-team")
    return session


def test_round_trip_keeps_every_turn_score_and_persona_change(store: SessionStore) -> None:
    session = make_session()
    store.save(session, thread_id="thread-1")
    loaded = store.load(session.id)
    assert loaded is not None
    assert loaded.model_dump() == session.model_dump()
    assert loaded.answers()[0].evaluation is not None
    assert loaded.answers()[0].evaluation.root_cause == 3
    assert loaded.persona_changes == [(2, "friendly-team")]
    by_thread = store.load_by_thread("thread-1")
    assert by_thread is not None and by_thread.id == session.id


def test_save_is_an_upsert_that_keeps_the_thread_link(store: SessionStore) -> None:
    session = make_session()
    store.save(session, thread_id="thread-9")
    session.add_turn(Turn(role="candidate", kind=TurnKind.ANSWER, text="second answer"))
    store.save(session)  # no thread id: the earlier link must stay
    loaded = store.load_by_thread("thread-9")
    assert loaded is not None
    assert [t.text for t in loaded.turns][-1] == "second answer"
    assert len(store.list_for_user("local")) == 1


def test_missing_session_is_none(store: SessionStore) -> None:
    assert store.load("nope") is None
    assert store.load_by_thread("nope") is None


def test_users_never_see_each_others_sessions(store: SessionStore) -> None:
    a1, a2, b = make_session("alice"), make_session("alice"), make_session("bob")
    a2.finished = True
    for s in (a1, a2, b):
        store.save(s)
    assert {s.id for s in store.list_for_user("alice")} == {a1.id, a2.id}
    assert [s.id for s in store.list_for_user("bob")] == [b.id]
    assert [s.id for s in store.list_for_user("alice", finished_only=True)] == [a2.id]
    assert store.list_for_user("mallory") == []


def test_list_is_oldest_first(store: SessionStore) -> None:
    older, newer = make_session(), make_session()
    newer.created_at = older.created_at.replace(year=older.created_at.year + 1)
    store.save(newer)
    store.save(older)
    assert [s.id for s in store.list_for_user("local")] == [older.id, newer.id]


async def test_async_api_from_a_running_loop(store: SessionStore) -> None:
    session = make_session()
    await store.asave(session, thread_id="t-async")
    # Saving copies the session: later mutation by the engine doesn't leak into what was written.
    session.add_turn(Turn(role="candidate", kind=TurnKind.ANSWER, text="not saved yet"))
    loaded = await store.aload_by_thread("t-async")
    assert loaded is not None and len(loaded.turns) == len(session.turns) - 1
    assert [s.id for s in await store.alist_for_user("local")] == [session.id]
    assert (await store.aload(session.id)) is not None


def test_concurrent_writers_from_threads_and_loops(store: SessionStore) -> None:
    sessions = [make_session(user="u") for _ in range(12)]
    errors: list[BaseException] = []

    def worker(chunk: list[Session]) -> None:
        async def run() -> None:
            for s in chunk:
                await store.asave(s)

        try:
            asyncio.run(run())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(sessions[i::3],)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(store.list_for_user("u")) == 12


def test_unreadable_row_is_treated_as_missing(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with SessionStore(f"sqlite:///{path}") as s:
        session = make_session()
        s.save(session)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE interview_sessions SET data = ?", ('{"schema_version": "nonsense"}',))
    with SessionStore(f"sqlite:///{path}") as s:
        assert s.load(session.id) is None
        assert s.list_for_user("local") == []


def test_unusable_database_raises_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with SessionStore(f"sqlite:///{blocker}/sub/x.db") as s, pytest.raises(StoreError) as err:
        s.save(make_session())
    assert "cannot open the session database" in str(err.value)


def test_closed_store_refuses_work(tmp_path: Path) -> None:
    s = SessionStore(f"sqlite:///{tmp_path / 'c.db'}")
    s.close()
    with pytest.raises(StoreClosed):  # a StoreError that says the app is stopping
        s.load("x")


def test_database_url_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("INTERVIEWER_DATABASE_URL", raising=False)
    assert resolve_database_url(load_settings(cache_dir=tmp_path)) == f"sqlite:///{tmp_path / 'interviewer.db'}"
    monkeypatch.setenv("INTERVIEWER_CACHE_DIR", str(tmp_path / "c"))
    assert resolve_database_url() == f"sqlite:///{tmp_path / 'c' / 'interviewer.db'}"
    monkeypatch.setenv("DATABASE_URL", "postgresql://h/a")
    assert resolve_database_url(load_settings(cache_dir=tmp_path)) == "postgresql://h/a"
    monkeypatch.setenv("INTERVIEWER_DATABASE_URL", "postgresql://h/b")
    assert resolve_database_url(load_settings(cache_dir=tmp_path)) == "postgresql://h/b"
    assert resolve_database_url() == "postgresql://h/b"
    explicit = load_settings(cache_dir=tmp_path, database_url="sqlite:////x.db")
    assert resolve_database_url(explicit) == "sqlite:////x.db"


def test_database_url_is_read_from_dot_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("INTERVIEWER_DATABASE_URL", raising=False)
    (tmp_path / ".env").write_text("DATABASE_URL=postgresql://h/from-dotenv\n")
    monkeypatch.chdir(tmp_path)
    assert resolve_database_url() == "postgresql://h/from-dotenv"


def test_async_driver_selection(tmp_path: Path) -> None:
    assert async_database_url(f"sqlite:///{tmp_path}/a/b.db").startswith("sqlite+aiosqlite:///")
    assert (tmp_path / "a").is_dir()  # parent directory created for a first start
    assert async_database_url("postgres://u:p@h:5432/d") == "postgresql+asyncpg://u:p@h:5432/d"
    assert async_database_url("postgresql://u:p@h/d") == "postgresql+asyncpg://u:p@h/d"
