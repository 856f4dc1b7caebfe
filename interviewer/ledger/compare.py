"""Code decides when two claims contradict, precision first: a practice tool that accuses a
candidate of a story that does not add up, when it does, teaches them to distrust it. So a pair is
compared only when it is clearly about the same thing (same unit and counted thing, a shared
topic, the same employer and the same time), and numbers must differ beyond rounding and hedging.
Anything the text marks as change over time (grew, promoted, by the time I left, now) is growth.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from interviewer.claims import Amount, Claim, Contradiction
from interviewer.ledger.timespan import start_range

LEAST = 1
WHO = {"i": "you did it yourself", "other": "someone else did it", "we": "the team did it"}


def compare(new: Claim, earlier: Claim) -> Contradiction | None:
    """A contradiction between a new claim and an earlier one, or None when they can both be true
    (or when the code cannot tell: then it says nothing)."""
    if not _same_employer(new.employer, earlier.employer):
        return None
    kinds = {new.kind, earlier.kind}
    if kinds == {"quantity"}:
        return _quantities(new, earlier)
    if kinds == {"duration"}:
        return _durations(new, earlier) or _starts(new, earlier)
    if kinds <= {"date", "duration"}:
        return _starts(new, earlier)
    if kinds == {"ownership"}:
        return _ownership(new, earlier)
    if kinds == {"role"}:
        return _roles(new, earlier)
    return None


def contradictions(new: Iterable[Claim], earlier: Iterable[Claim]) -> list[Contradiction]:
    """Every contradiction between new claims and earlier ones, at most one per pair of quotes."""
    found: list[Contradiction] = []
    seen: set[tuple[str, str]] = set()
    earlier = list(earlier)
    for claim in new:
        for old in earlier:
            hit = compare(claim, old)
            if hit and (claim.quote, old.quote) not in seen:
                seen.add((claim.quote, old.quote))
                found.append(hit)
    return found


def _same_employer(a: str | None, b: str | None) -> bool:
    """Unknown matches anything; two named employers, or "previous" and "current", do not."""
    if a is None or b is None or a == b:
        return True
    named = {a, b} - {"current", "previous"}
    return len(named) < 2 and {a, b} != {"current", "previous"} and not (named and {a, b} & {"previous"})


def _shared_topic(a: Claim, b: Claim, least: int = 1) -> bool:
    return len(set(a.topic) & set(b.topic)) >= least


def _widen(amount: Amount, by: float) -> Amount:
    high = None if amount.high is None else amount.high + by
    return Amount(value=amount.value, low=max(amount.low - by, 0.0), high=high, approximate=amount.approximate)


def _quantities(new: Claim, old: Claim) -> Contradiction | None:
    if new.unit != old.unit or new.amount is None or old.amount is None or not _same_time(new.period, old.period):
        return None
    # a measure (seconds, percent, money, data) names no counted thing, so its sentences must share
    # more of what they talk about than a count's ("2 million users" already says users)
    least = 1 if new.unit in ("count", "people") else LEAST
    if not _same_subject(new.subject, old.subject) or not _shared_topic(new, old, least):
        return None
    if new.actor and old.actor and new.actor != old.actor:  # "I handled 40" vs "the team handled 400"
        return None
    a, b = new.amount, old.amount
    if new.unit == "people":  # a team counted with or without the speaker
        a, b = _widen(a, 1), _widen(b, 1)
    if a.overlaps(b):
        return None
    return Contradiction(kind="quantity", new=new, earlier=old,
                         reason=f"{_number(old.amount.value)} earlier, {_number(new.amount.value)} now ({new.subject.split('/')[0]})")


def _same_time(a: str | None, b: str | None) -> bool:
    """Two sentences that both tell a change ("dropped to", "grew to") are two moments of a story,
    not the same moment twice; only the two ends of "from X to Y" are pinned well enough."""
    if a != b:
        return False
    parts = set((a or "").split("+"))
    return "change" not in parts or bool(parts & {"before", "after"})


def _same_subject(a: str, b: str) -> bool:
    if a == b:
        return True
    # "team" and "team:mobile" are the same team when only one sentence names the kind of team
    return a.startswith("team") and b.startswith("team") and "team" in (a, b)


def _career_fields(a: str, b: str) -> str | None:
    """ "same", "a-general" / "b-general" (one is the whole career), or None (different fields)."""
    if a == b:
        return "same"
    if a == "career" and b.startswith("career:"):
        return "a-general"
    if b == "career" and a.startswith("career:"):
        return "b-general"
    generic = {"engineer", "developer", "manager", "analyst", "app", "apps", "software", "senior", "junior", "lead"}
    wa = set(a.removeprefix("career:").split()) - generic
    wb = set(b.removeprefix("career:").split()) - generic
    return "same" if a.startswith("career:") and b.startswith("career:") and wa & wb else None


def _durations(new: Claim, old: Claim) -> Contradiction | None:
    if new.amount is None or old.amount is None:
        return None
    relation = "same" if new.subject == old.subject else _career_fields(new.subject, old.subject)
    if relation is None or (new.subject == "span" and (not _shared_topic(new, old) or new.period != old.period)):
        return None
    if new.ongoing and old.ongoing and new.source.year != old.source.year:
        return None  # said in different years: compare when each started instead
    a, b = new.amount, old.amount
    if relation == "same":
        clash = not a.overlaps(b)
    else:  # a part of the career cannot be longer than the whole career
        part, whole = (b, a) if relation == "a-general" else (a, b)
        clash = whole.high is not None and part.low > whole.high
    if not clash:
        return None
    return Contradiction(kind="duration", new=new, earlier=old,
                         reason=f"{_months(old.amount.value)} earlier, {_months(new.amount.value)} now")


def _start(claim: Claim) -> tuple[float, float] | None:
    """When the thing started, as a range of fractional years."""
    if claim.kind == "date" and claim.year is not None:
        return start_range(claim.year, claim.month)
    if claim.kind == "duration" and claim.ongoing and claim.amount and claim.source.year is not None:
        said = claim.source.year
        high = -math.inf if claim.amount.high is None else said - claim.amount.high / 12
        return high, said + 1 - claim.amount.low / 12
    return None


def _start_subject(claim: Claim) -> str:
    return "joined" if claim.subject == "tenure" else claim.subject


def _starts(new: Claim, old: Claim) -> Contradiction | None:
    a_subject, b_subject = _start_subject(new), _start_subject(old)
    relation = "same" if a_subject == b_subject else _career_fields(a_subject, b_subject)
    a, b = _start(new), _start(old)
    if relation is None or a is None or b is None or a_subject in ("span", "project"):
        return None
    if relation == "same":
        clash = a[1] < b[0] or b[1] < a[0]
    else:  # a field cannot have been entered before the career began
        part, whole = (b, a) if relation == "a-general" else (a, b)
        clash = part[1] < whole[0]
    if not clash:
        return None
    return Contradiction(kind="date", new=new, earlier=old, reason=f"{_when(old)} earlier, {_when(new)} now")


def _ownership(new: Claim, old: Claim) -> Contradiction | None:
    if new.value != old.value or new.verb != old.verb or {new.owner, old.owner} != {"i", "other"}:
        return None
    return Contradiction(kind="ownership", new=new, earlier=old,
                         reason=f"the {new.value}: {WHO[old.owner or 'we']} earlier, {WHO[new.owner or 'we']} now")


def _roles(new: Claim, old: Claim) -> Contradiction | None:
    present = {"present", "present+now"}
    if new.period not in present or old.period not in present or new.level is None or old.level is None:
        return None
    if new.level == old.level:
        return None
    return Contradiction(kind="role", new=new, earlier=old, reason=f"{old.value} earlier, {new.value} now")


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:g}"


def _months(months: float) -> str:
    return f"{months / 12:g} years" if months >= 12 else f"{months:g} months"


def _when(claim: Claim) -> str:
    if claim.kind == "date":
        return str(claim.year)
    return _months(claim.amount.value) if claim.amount else "?"
