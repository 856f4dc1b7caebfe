"""Scale-out: two app instances share one PostgreSQL database through SessionStore.

A real server, not a mock: scripts/start-postgres.sh starts a throwaway cluster on a free
loopback port; the fixture stops it and deletes its directory. Missing binaries fail the test
with the install command, because a skipped scale test would look like a passing one.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from interviewer.session import Session, Turn, TurnKind
from interviewer.store import SessionStore

pytestmark = pytest.mark.postgres

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "start-postgres.sh"


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    result = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        pytest.fail(f"could not start PostgreSQL (scripts/start-postgres.sh exit {result.returncode}):\n"
                    f"{result.stderr.strip()}")
    values = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    try:
        yield values["DATABASE_URL"]
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", values["PG_DIR"]], capture_output=True, timeout=60)


@pytest.fixture
def two_instances(database_url: str) -> Iterator[tuple[SessionStore, SessionStore]]:
    first, second = SessionStore(database_url), SessionStore(database_url)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def interview(user: str, answers: int = 1) -> Session:
    session = Session(user_id=user)
    for n in range(answers):
        session.add_turn(Turn(role="interviewer", kind=TurnKind.QUESTION, text=f"Question {n}?"))
        session.add_turn(Turn(role="candidate", kind=TurnKind.ANSWER, text=f"{user} answer {n}"))
    return session


def test_the_url_is_really_postgres(two_instances: tuple[SessionStore, SessionStore]) -> None:
    first, _ = two_instances
    assert first.url.startswith("postgresql://")
    first.save(interview("probe"))  # creates the table on a real server, not SQLite


def test_instances_see_each_others_writes(two_instances: tuple[SessionStore, SessionStore]) -> None:
    app_a, app_b = two_instances
    session = interview("alice")
    app_a.save(session)
    loaded = app_b.load(session.id)
    assert loaded is not None and loaded.model_dump() == session.model_dump()

    loaded.add_turn(Turn(role="interviewer", kind=TurnKind.PROBE, text="Why did that happen?"))
    app_b.save(loaded)
    again = app_a.load(session.id)
    assert again is not None and [t.text for t in again.turns][-1] == "Why did that happen?"
    assert len(again.turns) == 3  # an upsert, not a second row


def test_a_users_list_never_includes_another_users_sessions(
    two_instances: tuple[SessionStore, SessionStore],
) -> None:
    app_a, app_b = two_instances
    mine = [interview("carol", 2) for _ in range(3)]
    theirs = [interview("dave", 1) for _ in range(2)]
    tricky = interview("carol' OR '1'='1")
    for n, session in enumerate([*mine, *theirs, tricky]):
        (app_a if n % 2 else app_b).save(session)
    for store in (app_a, app_b):
        assert sorted(s.id for s in store.list_for_user("carol")) == sorted(s.id for s in mine)
        assert sorted(s.id for s in store.list_for_user("dave")) == sorted(s.id for s in theirs)
        assert [s.id for s in store.list_for_user("carol' OR '1'='1")] == [tricky.id]
        assert store.list_for_user("nobody") == []


async def test_concurrent_writers_lose_nothing(two_instances: tuple[SessionStore, SessionStore]) -> None:
    app_a, app_b = two_instances
    sessions = [interview(f"user-{n % 10}", 3) for n in range(60)]
    await asyncio.gather(*((app_a if n % 2 else app_b).asave(s) for n, s in enumerate(sessions)))
    # Both instances then append a turn to every session and save again, interleaved.
    for n, session in enumerate(sessions):
        session.add_turn(Turn(role="candidate", kind=TurnKind.ANSWER, text=f"late answer {n}"))
    await asyncio.gather(*((app_b if n % 2 else app_a).asave(s) for n, s in enumerate(sessions)))
    for user in {s.user_id for s in sessions}:
        expected = {s.id: len(s.turns) for s in sessions if s.user_id == user}
        listed = await app_a.alist_for_user(user)
        assert {s.id: len(s.turns) for s in listed} == expected


# -- the claim ledger per user (issue 15) -------------------------------------------------------
def claimed(user: str, sizes: list[int]) -> Session:
    from interviewer.claims import Amount, Claim, Source

    session = interview(user, len(sizes))
    session.claims = [Claim(kind="quantity", quote=f"I led a team of {n}.", subject="team", unit="people",
                            amount=Amount(value=n, low=n, high=n), source=Source(origin="answer", answer=i))
                      for i, n in enumerate(sizes, 1)]
    return session


def test_the_ledger_is_shared_and_deletable_across_instances(
    two_instances: tuple[SessionStore, SessionStore],
) -> None:
    app_a, app_b = two_instances
    first = claimed("erin", [12, 15])
    app_a.save(first)
    app_a.save(claimed("frank", [3]))
    claims = app_b.user_claims("erin")
    assert [c.quote for c in claims] == ["I led a team of 12.", "I led a team of 15."]
    assert {c.source.session_id for c in claims} == {first.id}
    assert app_b.user_claims("erin", exclude_session=first.id) == []
    assert app_b.delete_user_ledger("erin") == 2
    app_a.save(first)  # an instance that still had it open
    assert app_a.ledger("erin") == [] and app_a.load(first.id) is not None
    assert [c.quote for c in app_a.user_claims("frank")] == ["I led a team of 3."]


async def test_two_instances_saving_one_session_keep_one_copy_of_its_claims(
    two_instances: tuple[SessionStore, SessionStore],
) -> None:
    app_a, app_b = two_instances
    session = claimed("grace", [4, 5, 6])
    await asyncio.gather(*((app_a if n % 2 else app_b).asave(session) for n in range(10)))
    assert len(await app_a.aledger("grace")) == 3


# -- opening a new database ---------------------------------------------------------------------
async def test_instances_opening_one_new_database_at_once_all_open(database_url: str) -> None:
    """Each instance creates the tables it finds missing; at once on a new database, PostgreSQL
    failed all but one (pg_type unique violation) until table creation took an advisory lock."""
    import asyncpg  # type: ignore[import-untyped]

    admin = await asyncpg.connect(database_url)
    try:
        for n in range(3):
            name = f"opening_{n}"
            await admin.execute(f"CREATE DATABASE {name}")
            url = database_url.rsplit("/", 1)[0] + f"/{name}"
            stores = [SessionStore(url) for _ in range(4)]
            try:
                await asyncio.gather(*(store.asave(interview(f"user{i}")) for i, store in enumerate(stores)))
                assert len(await stores[0].alist_for_user("user3")) == 1
            finally:
                for store in stores:
                    store.close()
    finally:
        await admin.close()
