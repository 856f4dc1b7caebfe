"""The claim ledger per user, stored next to the sessions so it outlives any session file.

`SessionStore.save` copies a session's claims (`Session.claims`) into `interview_ledger_claims`,
replacing that session's rows each time (idempotent). A new session of the same user reads them
back as `CandidateContext.prior_claims`, so a story told differently next week is noticed.

Schema (SQLite and PostgreSQL alike; created like the sessions table, by `create_all`):

    interview_ledger_claims     one row per claim
      session_id  (PK)          the session it was said in
      position    (PK)          its index in that session's `claims`
      user_id                   whose ledger (indexed with said_at)
      said_at                   when it was said: its answer's time; the session's start for a
                                résumé claim. UTC ISO text with microseconds, so text order is time
                                order
      claim                     the Claim as JSON, with source.session_id and source.year set
    interview_ledger_forgotten  one row per "delete my ledger" (user_id, forgotten_at): an
                                append-only log, so no upsert is needed and the latest one wins

Only what the candidate said about themselves is kept: answer and résumé claims. A job
description describes a job, not the candidate, and a claim already copied from an earlier
session would only be a duplicate.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Column, Index, Integer, MetaData, Row, String, Table, Text, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from interviewer.claims import Claim
from interviewer.session import Session

# How many earlier claims a new session starts with: the most recent ones. The ledger is compared
# in code (no model prompt grows with it), and a few answers' worth of claims per session over
# the last several interviews fits easily; older ones matter least for "you said otherwise".
PRIOR_CLAIMS_LIMIT = 200
STORED_ORIGINS = frozenset({"answer", "resume"})

ledger_metadata = MetaData()

claims_table = Table(
    "interview_ledger_claims",
    ledger_metadata,
    Column("session_id", String(64), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("user_id", String(255), nullable=False),
    Column("said_at", String(40), nullable=False),
    Column("claim", Text, nullable=False),
    Index("interview_ledger_claims_user", "user_id", "said_at"),
)

forgotten_table = Table(
    "interview_ledger_forgotten",
    ledger_metadata,
    Column("user_id", String(255), nullable=False, index=True),
    Column("forgotten_at", String(40), nullable=False),
)


@dataclass(frozen=True)
class LedgerEntry:
    """One stored claim and when it was said: what `interviewer ledger show` and `/ledger` list."""

    claim: Claim
    said_at: datetime

    def line(self) -> str:
        """The claim in the candidate's words, what kind of fact it is, and where and when."""
        source = self.claim.source
        where = f"answer {source.answer}" if source.origin == "answer" and source.answer else source.origin
        where = "résumé" if where == "resume" else where
        session = (source.session_id or "?")[:8]
        what = f"{self.claim.kind}{detail(self.claim)}"
        return f"“{self.claim.quote}” ({what}): {where}, interview {session}, {self.said_at:%Y-%m-%d}"

    def to_json(self) -> dict[str, Any]:
        return {"said_at": self.said_at.isoformat(), "claim": self.claim.model_dump(mode="json")}


def detail(claim: Claim) -> str:
    """The normalised value a claim was read as, so a wrong reading can be spotted in the list."""
    if claim.amount is not None:
        unit = f" {claim.unit}" if claim.unit and claim.unit != "count" else ""
        about = f" {claim.subject}" if claim.subject else ""
        return f":{about} {claim.amount.value:g}{unit}"
    if claim.year is not None:
        return f": {claim.subject} {claim.year}" if claim.subject else f": {claim.year}"
    return f": {claim.value}" if claim.value else ""


def utc(value: datetime) -> datetime:
    """Aware and in UTC; a naive time (a hand-written session file) is taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def timestamp(value: datetime) -> str:
    return utc(value).isoformat(timespec="microseconds")


def said_at(session: Session, claim: Claim) -> datetime:
    """An answer claim is dated by its answer; anything else by the start of the session."""
    answers = session.answers()
    number = claim.source.answer
    if claim.source.origin == "answer" and number is not None and 1 <= number <= len(answers):
        return utc(answers[number - 1].created_at)
    return utc(session.created_at)


def ledger_rows(session: Session, forgotten_at: datetime | None) -> list[dict[str, Any]]:
    """The rows for a session's claims. Claims said before the user last deleted their ledger are
    left out, so saving a session that was already running cannot bring them back."""
    rows: list[dict[str, Any]] = []
    for position, claim in enumerate(session.claims):
        when = said_at(session, claim)
        if claim.source.origin not in STORED_ORIGINS or (forgotten_at is not None and when <= forgotten_at):
            continue
        source = claim.source.model_copy(update={"session_id": session.id, "year": claim.source.year or when.year})
        stored = claim.model_copy(update={"source": source})
        rows.append({"session_id": session.id, "position": position, "user_id": session.user_id,
                     "said_at": timestamp(when), "claim": stored.model_dump_json()})
    return rows


def entries(rows: Iterable[Row[str, str]]) -> Iterator[LedgerEntry]:
    """Parse (claim, said_at) rows lazily; a row an incompatible version wrote is skipped, like an
    unreadable session."""
    for claim, when in rows:
        try:
            yield LedgerEntry(Claim.model_validate_json(claim), datetime.fromisoformat(when))
        except (ValidationError, ValueError):
            continue


def prior_claims(newest_first: Iterable[LedgerEntry], limit: int = PRIOR_CLAIMS_LIMIT) -> list[Claim]:
    """The most recent `limit` claims, oldest first. The same résumé uploaded to several sessions
    would fill the budget with copies, so a résumé claim equal to a newer one in all but its
    source is dropped; answer claims are all kept (each is what was said in that interview)."""
    seen: set[str] = set()
    picked: list[Claim] = []
    for entry in newest_first:
        if len(picked) >= limit:
            break
        if entry.claim.source.origin == "resume":
            key = entry.claim.model_dump_json(exclude={"source"})
            if key in seen:
                continue
            seen.add(key)
        picked.append(entry.claim)
    return picked[::-1]


# -- queries, run by SessionStore on its own loop ---------------------------------------------
async def forgotten_at(conn: AsyncConnection, user_id: str) -> datetime | None:
    """When the user last deleted their ledger, or None."""
    query = select(func.max(forgotten_table.c.forgotten_at)).where(forgotten_table.c.user_id == user_id)
    value = (await conn.execute(query)).scalar_one_or_none()
    return datetime.fromisoformat(value) if value else None


async def replace_session_claims(conn: AsyncConnection, session: Session, forgotten: datetime | None) -> None:
    await delete_session_claims(conn, session.id)
    rows = ledger_rows(session, forgotten)
    if rows:
        await conn.execute(claims_table.insert(), rows)


async def delete_session_claims(conn: AsyncConnection, session_id: str) -> None:
    await conn.execute(claims_table.delete().where(claims_table.c.session_id == session_id))


async def read_newest_first(conn: AsyncConnection, user_id: str, exclude_session: str | None) -> Sequence[Row[str, str]]:
    query = select(claims_table.c.claim, claims_table.c.said_at).where(claims_table.c.user_id == user_id)
    if exclude_session is not None:
        query = query.where(claims_table.c.session_id != exclude_session)
    order = (claims_table.c.said_at.desc(), claims_table.c.session_id, claims_table.c.position.desc())
    return (await conn.execute(query.order_by(*order))).all()


async def forget_user(conn: AsyncConnection, user_id: str, now: datetime) -> int:
    """Delete the user's ledger rows and remember when; returns how many claims were deleted."""
    result = await conn.execute(claims_table.delete().where(claims_table.c.user_id == user_id))
    await conn.execute(forgotten_table.insert().values(user_id=user_id, forgotten_at=timestamp(now)))
    return int(result.rowcount or 0)
