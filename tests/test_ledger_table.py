"""The claim ledger per user (issue 15): stored with every save, read back for a new session,
visible and deletable without touching the interviews themselves."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from interviewer.claims import Amount, Claim, Source
from interviewer.session import Session, Turn, TurnKind
from interviewer.store import SessionStore
from interviewer.store.ledger_table import LedgerEntry, prior_claims

T0 = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SessionStore]:
    with SessionStore(f"sqlite:///{tmp_path / 'ledger.db'}") as s:
        yield s


def team(size: float, answer: int | None = 1, origin: str = "answer", quote: str = "") -> Claim:
    return Claim(kind="quantity", quote=quote or f"I led a team of {size:g}.", subject="team", unit="people",
                 amount=Amount(value=size, low=size, high=size), source=Source(origin=origin, answer=answer))  # type: ignore[arg-type]


def employer(name: str, origin: str = "resume") -> Claim:
    return Claim(kind="employer", quote=f"Senior engineer at {name}.", value=name,
                 source=Source(origin=origin, year=2024))  # type: ignore[arg-type]


def interview(user: str = "alice", start: datetime = T0, answers: int = 2, claims: list[Claim] | None = None) -> Session:
    """A session whose answer n was given n minutes after it started, with the given claims."""
    session = Session(user_id=user, created_at=start, updated_at=start)
    for n in range(1, answers + 1):
        session.add_turn(Turn(role="interviewer", kind=TurnKind.QUESTION, text=f"Question {n}?",
                              created_at=start + timedelta(minutes=n)))
        session.add_turn(Turn(role="candidate", kind=TurnKind.ANSWER, text=f"Answer {n}.",
                              created_at=start + timedelta(minutes=n)))
    session.claims = list(claims or [])
    return session


def quotes(claims: list[Claim]) -> list[str]:
    return [c.quote for c in claims]


# -- round trip -------------------------------------------------------------------------------
def test_a_saved_sessions_claims_come_back_for_the_users_next_session(store: SessionStore) -> None:
    jd = Claim(kind="technology", quote="You will work with Kafka.", value="Kafka", source=Source(origin="job_description"))
    first = interview(claims=[employer("Acme"), team(12, answer=2), jd])
    store.save(first)
    loaded = store.user_claims("alice")
    # The job description describes the job, not the candidate: it stays out of the ledger.
    assert quotes(loaded) == ["Senior engineer at Acme.", "I led a team of 12."]
    assert {c.source.session_id for c in loaded} == {first.id}
    assert [c.source.origin for c in loaded] == ["resume", "answer"]
    assert loaded[0].source.year == 2024  # kept as said
    assert loaded[1].source.year == 2025 and loaded[1].source.answer == 2  # filled from when it was said
    assert loaded[1].model_copy(update={"source": first.claims[1].source}) == first.claims[1]  # nothing else changed
    assert store.user_claims("alice", exclude_session=first.id) == []


def test_saving_again_replaces_the_sessions_rows(store: SessionStore) -> None:
    session = interview(claims=[team(12)])
    store.save(session)
    store.save(session)
    assert len(store.ledger("alice")) == 1  # idempotent
    session.claims = [team(12), team(15, answer=2)]
    store.save(session)
    assert quotes(store.user_claims("alice")) == ["I led a team of 12.", "I led a team of 15."]
    session.claims = []
    store.save(session)
    assert store.ledger("alice") == []


def test_a_user_never_gets_another_users_claims(store: SessionStore) -> None:
    store.save(interview("alice", claims=[team(12)]))
    store.save(interview("bob", claims=[team(3)]))
    store.save(interview("carol' OR '1'='1", claims=[team(7)]))
    assert quotes(store.user_claims("alice")) == ["I led a team of 12."]
    assert quotes(store.user_claims("bob")) == ["I led a team of 3."]
    assert quotes(store.user_claims("carol' OR '1'='1")) == ["I led a team of 7."]
    assert store.user_claims("mallory") == []


def test_entries_are_dated_by_their_answer_and_read_oldest_first(store: SessionStore) -> None:
    later = interview(start=T0 + timedelta(days=7), claims=[team(15, answer=1)])
    earlier = interview(start=T0, claims=[employer("Acme"), team(12, answer=2)])
    store.save(later)
    store.save(earlier)
    entries = store.ledger("alice")
    assert [e.said_at for e in entries] == [T0, T0 + timedelta(minutes=2), T0 + timedelta(days=7, minutes=1)]
    assert [e.claim.source.session_id for e in entries] == [earlier.id, earlier.id, later.id]


def test_the_same_resume_in_every_session_counts_once_and_answers_all_count(store: SessionStore) -> None:
    weeks = [interview(start=T0 + timedelta(days=7 * week), claims=[employer("Acme"), team(12)]) for week in range(3)]
    for session in weeks:
        store.save(session)
    claims = store.user_claims("alice")
    assert quotes(claims).count("I led a team of 12.") == 3  # said in three interviews
    resume = [c for c in claims if c.source.origin == "resume"]
    assert len(resume) == 1 and resume[0].source.session_id == weeks[-1].id  # the newest copy
    assert len(store.ledger("alice")) == 6  # all of it is still stored, and shown


def test_a_new_session_gets_the_most_recent_claims_up_to_the_limit(store: SessionStore) -> None:
    for day in range(5):
        store.save(interview(start=T0 + timedelta(days=day), answers=1, claims=[team(10 + day)]))
    assert quotes(store.user_claims("alice", limit=2)) == ["I led a team of 13.", "I led a team of 14."]


def test_prior_claims_dedupes_before_it_counts() -> None:
    resume = [LedgerEntry(employer("Acme").model_copy(update={"source": Source(origin="resume", session_id=s)}), T0)
              for s in ("c", "b", "a")]
    answer = LedgerEntry(team(12), T0)
    assert quotes(prior_claims([*resume, answer], limit=2)) == ["I led a team of 12.", "Senior engineer at Acme."]
    assert prior_claims([*resume, answer], limit=2)[1].source.session_id == "c"  # the newest copy


# -- deleting ---------------------------------------------------------------------------------
def test_deleting_the_ledger_keeps_the_interviews(store: SessionStore) -> None:
    first = interview(claims=[employer("Acme"), team(12)])
    second = interview(start=T0 + timedelta(days=1), claims=[team(15)])
    second.context.prior_claims = [team(12)]  # what it was started with
    store.save(first)
    store.save(second)
    store.save(interview("bob", claims=[team(3)]))
    assert store.delete_user_ledger("alice") == 3
    assert store.ledger("alice") == [] and store.user_claims("alice") == []
    kept = store.load(second.id)
    assert kept is not None and [t.text for t in kept.turns] == [t.text for t in second.turns]
    assert kept.claims == second.claims  # the session's own claims stay with its transcript
    assert kept.context.prior_claims == []  # its copies of earlier claims went with the ledger
    assert len(store.list_for_user("alice")) == 2
    assert quotes(store.user_claims("bob")) == ["I led a team of 3."]  # nobody else's
    assert store.delete_user_ledger("alice") == 0


def test_a_session_saved_after_the_ledger_was_deleted_does_not_bring_it_back(store: SessionStore) -> None:
    running = interview(start=datetime.now(UTC) - timedelta(hours=1), answers=1, claims=[employer("Acme"), team(12)])
    running.context.prior_claims = [team(9)]
    store.save(running)
    store.delete_user_ledger("alice")
    store.save(running)  # the app or the CLI still had it open
    assert store.ledger("alice") == []
    reloaded = store.load(running.id)
    assert reloaded is not None and reloaded.context.prior_claims == []
    # What is said after the deletion is stored again, in that session and in new ones.
    running.add_turn(Turn(role="candidate", kind=TurnKind.ANSWER, text="Answer 2."))
    running.claims = [*running.claims, team(14, answer=2)]
    store.save(running)
    fresh = interview(start=datetime.now(UTC) + timedelta(seconds=1), claims=[team(15)])
    store.save(fresh)
    assert quotes(store.user_claims("alice")) == ["I led a team of 14.", "I led a team of 15."]


def test_deleting_a_session_deletes_its_claims(store: SessionStore) -> None:
    keep, drop = interview(claims=[team(12)]), interview(start=T0 + timedelta(days=1), claims=[team(15)])
    store.save(keep)
    store.save(drop)
    store.delete(drop.id)
    assert [e.claim.source.session_id for e in store.ledger("alice")] == [keep.id]


def test_an_unreadable_claim_row_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "bad.db"
    with SessionStore(f"sqlite:///{path}") as s:
        s.save(interview(claims=[team(12), team(15, answer=2)]))
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE interview_ledger_claims SET claim = '{\"kind\": \"rumour\"}' WHERE position = 0")
    with SessionStore(f"sqlite:///{path}") as s:
        assert quotes(s.user_claims("alice")) == ["I led a team of 15."]


async def test_the_async_api_matches_the_sync_one(store: SessionStore) -> None:
    session = interview(claims=[team(12)])
    await store.asave(session)
    assert quotes(await store.auser_claims("alice")) == ["I led a team of 12."]
    assert [e.claim.quote for e in await store.aledger("alice")] == ["I led a team of 12."]
    assert await store.adelete_user_ledger("alice") == 1
    assert await store.aledger("alice") == []


def test_an_entry_reads_as_quote_kind_and_where_and_when(store: SessionStore) -> None:
    session = interview(claims=[employer("Acme"), team(12, answer=2)])
    store.save(session)
    resume, answer = store.ledger("alice")
    assert answer.line() == f"“I led a team of 12.” (quantity: team 12 people): answer 2, interview {session.id[:8]}, 2025-03-14"
    assert resume.line().startswith("“Senior engineer at Acme.” (employer: Acme): résumé, interview ")
    data = answer.to_json()
    assert data["said_at"] == "2025-03-14T09:02:00+00:00" and data["claim"]["source"]["session_id"] == session.id
