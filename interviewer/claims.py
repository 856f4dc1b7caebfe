"""What a candidate said about themselves, as data: one claim per checkable fact, with the verbatim
quote it came from and where it was said, so a contradiction can always be shown in the
candidate's own words and a claim can be stored per user and compared next week.

A base-layer module (pydantic only) because the Session stores claims and contradictions; the
code that reads and compares them is `interviewer.ledger` (evaluation layer), which imports them
from here (and re-exports the main ones).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

ClaimKind = Literal["quantity", "duration", "date", "role", "ownership", "employer", "technology"]
Origin = Literal["answer", "resume", "job_description", "session"]
Owner = Literal["i", "we", "other"]


class Source(BaseModel):
    """Where a claim was said. `year` is when it was said: "seven years here" and "since 2021"
    only mean something against it, and an earlier session was said in an earlier year."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    origin: Origin
    answer: int | None = None  # 1-based answer number in its session
    session_id: str | None = None  # an earlier session of the same user
    year: int | None = None


class Amount(BaseModel):
    """A normalised number with the range it may really mean. An exact "40" still allows rounding;
    "about 40", "over 40" and "nearly 40" widen or shift the range. `high` is None when the text
    sets no upper bound ("at least 40")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float
    low: float
    high: float | None
    approximate: bool = False

    def overlaps(self, other: Amount) -> bool:
        above = self.high is not None and self.high < other.low
        below = other.high is not None and other.high < self.low
        return not (above or below)


class Claim(BaseModel):
    """One checkable fact. Which fields are set depends on `kind`:

    - quantity: `amount` in `unit` ("count", "people", "ms", "gb", "usd", "percent", ...);
      `subject` is the thing counted ("team", "monthly active user/day", ...)
    - duration: `amount` in months; `subject` is what lasted ("tenure", "career:security", a topic)
    - date: `year` (and `month`); `subject` is what started then ("joined", "career", "title:...")
    - role: `value` is the title, `level` its seniority rank when the title says one
    - ownership: `value` is the thing built or led, `owner` who did it
    - employer, technology: `value` is the name
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ClaimKind
    quote: str  # verbatim from the text: the sentence the claim was read from
    source: Source
    subject: str = ""
    amount: Amount | None = None
    unit: str | None = None
    year: int | None = None
    month: int | None = None
    value: str | None = None
    level: int | None = None
    owner: Owner | None = None
    verb: str | None = None  # ownership: "build" or "lead" (leading and building are different acts)
    employer: str | None = None  # a named employer, or "current" / "previous"; None when unsaid
    period: str | None = None  # a time the sentence pins the fact to ("start", "now", "2019", ...)
    actor: Literal["i", "we"] | None = None  # who did the counted thing: "I handled" vs "we handled"
    ongoing: bool = False  # a duration still running when said ("I've been here seven years")
    topic: tuple[str, ...] = ()  # content words of the sentence, to match measures of the same thing


ContradictionKind = Literal["quantity", "duration", "date", "ownership", "role"]


class Contradiction(BaseModel):
    """Two claims that cannot both be true, with a plain reason for the probe and the report."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ContradictionKind
    new: Claim
    earlier: Claim
    reason: str
