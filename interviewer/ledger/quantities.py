"""Numbers with the thing they count, read from one sentence: team sizes ("a team of four", "the
forty engineers I led", "a 15-person team"), counts of things ("2 million monthly active users",
"500 tickets a week") and measures (latency, data, money, percentages). Precision first: a number
whose counted thing cannot be read is not a claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from interviewer.claims import Amount
from interviewer.ledger.numbers import APPROX_RE, parse_number, scaled, to_amount
from interviewer.ledger.vocab import (
    DISTINGUISHING, LEAD, PEOPLE, RATE_RE, RATES, STOP, TEAM, actor_of, singular,
)

# unit as written -> (normalised unit, factor)
MEASURES: dict[str, tuple[str, float]] = {
    "ms": ("s", 0.001), "millisecond": ("s", 0.001), "milliseconds": ("s", 0.001),
    "s": ("s", 1), "sec": ("s", 1), "secs": ("s", 1), "second": ("s", 1), "seconds": ("s", 1),
    "min": ("s", 60), "mins": ("s", 60), "minute": ("s", 60), "minutes": ("s", 60),
    "hour": ("s", 3600), "hours": ("s", 3600), "hr": ("s", 3600), "hrs": ("s", 3600),
    "kb": ("gb", 1e-6), "mb": ("gb", 1e-3), "gb": ("gb", 1), "tb": ("gb", 1e3), "pb": ("gb", 1e6),
    "%": ("percent", 1), "percent": ("percent", 1), "per cent": ("percent", 1),
    "dollars": ("usd", 1), "usd": ("usd", 1), "euros": ("eur", 1), "eur": ("eur", 1), "pounds": ("gbp", 1),
}
CURRENCY = {"$": "usd", "€": "eur", "£": "gbp"}
_MEASURE_AFTER = re.compile(r"^\s?(?P<unit>%|per cent|percent|ms|milliseconds?|secs?|seconds?|s|mins?|minutes?|hours?|hrs?"
                            r"|[kmgtp]b|dollars|usd|euros|eur|pounds)\b|^%", re.I)
_YEARISH = re.compile(r"^(?:19|20)\d\d$")
_DURATION_AFTER = re.compile(r"^[\s-]*(?:years?|yrs?|months?|weeks?|days?|decades?)\b", re.I)
_TEAM_BEFORE = re.compile(r"\b(?P<team>team|squad|crew|pod) (?:of|was|is|had|has|were|of about|of around)\s*$", re.I)
_PERSON_TEAM_AFTER = re.compile(r"^[\s-]*(?:person|people|strong|member|engineer|developer)[\s-]+(?:[\w-]+\s+)?(?:team|squad|crew|pod)\b", re.I)
_OF_US = re.compile(r"^\s+of us\b", re.I)
_WE_WERE = re.compile(r"\bwe were\s*$", re.I)
_WORD = re.compile(r"\s*([A-Za-z][A-Za-z-]*)")


@dataclass(frozen=True)
class Quantity:
    """One number read from a sentence, before it becomes a Claim."""

    amount: Amount
    unit: str
    subject: str
    actor: str | None
    position: str | None  # "before" / "after" in "from 40 minutes to 8"


def _noun_phrase(after: str) -> list[str]:
    """Up to three words after a number, stopping at the first function word."""
    words: list[str] = []
    rest = after
    while len(words) < 3:
        m = _WORD.match(rest)
        if not m or m.group(1).lower() in STOP - {"people", "team"} or m.group(1).lower() in ("a", "an", "per"):
            break
        words.append(m.group(1).lower())
        rest = rest[m.end():]
        if singular(words[-1]) in PEOPLE or words[-1] in TEAM or words[-1] == "people":
            break
    return words


def _rate(after: str, anchored: bool = False) -> str | None:
    """ "a week", "per second", "daily": right after the counted noun when `anchored`, so "20,000
    tests took an hour" is not a rate of tests per hour."""
    m = RATE_RE.match(after.lstrip()) if anchored else RATE_RE.search(after[:40])
    if not m:
        return None
    word = next(g for g in m.groups() if g).lower()
    return RATES.get(word, {"s": "second"}.get(word, word))


def _team_qualifier(sentence: str) -> str:
    m = re.search(r"\b([\w-]+)\s+(?:team|squad|crew)\b", sentence, re.I)
    if m and m.group(1).lower() not in STOP | {"person", "strong", "people", "member"} and not m.group(1)[0].isdigit():
        return m.group(1).lower()
    return ""


def _position(before: str, sentence_has_from: bool) -> str | None:
    if re.search(r"\b(?:from|down from|up from)\s*(?:about |around )?[$€£]?$", before, re.I):
        return "before"
    if sentence_has_from and re.search(r"\bto\s*(?:about |around )?[$€£]?$", before, re.I):
        return "after"
    return None


def quantities(sentence: str) -> list[Quantity]:
    """Every number in the sentence whose counted thing or unit can be read."""
    found: list[Quantity] = []
    last_measure: tuple[str, float] | None = None
    has_from = re.search(r"\bfrom\b", sentence, re.I) is not None
    for m in APPROX_RE.finditer(sentence):
        written = m.group("number")
        before, after = sentence[: m.start()], sentence[m.end():]
        if not _counts_something(written, before, after):
            continue
        parsed = parse_number(written)
        if parsed is None:
            continue
        amount = to_amount(parsed[0], written, m.group("approx"), parsed[1])
        measure = _measure(before, after) or (last_measure if re.match(r"^\s*(?:[.,;]|$)", after) else None)
        position = _position(before, has_from)
        actor = actor_of(before)
        if measure:
            last_measure = measure
            unit, factor = measure
            subject = "change" if re.search(r"\bby\s*(?:about |around |roughly )?$", before, re.I) else "level"
            rate = _rate(after)
            found.append(Quantity(scaled(amount, factor), unit, f"{subject}/{rate}" if rate else subject, actor, position))
            continue
        counted = _count_subject(sentence, before, after)
        if counted:
            unit = "people" if counted.startswith("team") else "count"
            found.append(Quantity(amount, unit, counted, None if unit == "people" else actor, position))
    return found


def _counts_something(written: str, before: str, after: str) -> bool:
    """False for years, durations and numbers that are part of a name ("SOC 2", "p99", "ISO 27001")."""
    return not (_YEARISH.match(written) or _DURATION_AFTER.match(after) or re.search(r"[\w.]$", before)
                or re.search(r"\b[A-Z][A-Za-z]*[A-Z]\s$", before))


def counts(sentence: str) -> list[Amount]:
    """Every number in the sentence that counts something (no year, duration, unit or name), even
    when the thing it counts cannot be read: a model may say what is counted, code reads how many."""
    found: list[Amount] = []
    for m in APPROX_RE.finditer(sentence):
        written, before, after = m.group("number"), sentence[: m.start()], sentence[m.end():]
        parsed = parse_number(written)
        if parsed is None or not _counts_something(written, before, after) or _measure(before, after):
            continue
        found.append(to_amount(parsed[0], written, m.group("approx"), parsed[1]))
    return found


def _measure(before: str, after: str) -> tuple[str, float] | None:
    if before.rstrip().endswith(tuple(CURRENCY)) and before.endswith(tuple(CURRENCY)):
        return CURRENCY[before[-1]], 1.0
    unit = _MEASURE_AFTER.match(after)
    if unit:
        key = (unit.group("unit") or "%").lower()
        return MEASURES.get(key) or MEASURES.get(key.rstrip("s")) or None
    return None


def _count_subject(sentence: str, before: str, after: str) -> str | None:
    """ "team" for a team's size, "<noun>[/rate]" for other counts, None when unreadable."""
    team = "team:" + _team_qualifier(sentence)
    if _TEAM_BEFORE.search(before) or _PERSON_TEAM_AFTER.match(after) or _OF_US.match(after) or _WE_WERE.search(before):
        return team.rstrip(":")
    words = _noun_phrase(after)
    if not words:
        return None
    head = singular(words[-1])
    if head in PEOPLE:
        lead_before = LEAD.search(before[-40:]) is not None
        lead_after = re.match(r"^\s*(?:[\w-]+\s+){0,3}?(?:I (?:led|lead|manage|managed|ran|run|oversaw)|report(?:ed|ing)? to me"
                              r"|(?:on|in) (?:my|the|our) (?:[\w-]+ )?(?:team|squad))\b", after[len(" ".join(words)) + 1:], re.I)
        if lead_before or lead_after or re.search(r"\b(?:team|squad|crew)\b", after[:60], re.I):
            return team.rstrip(":")
    qualifiers = sorted(w for w in words[:-1] if w in DISTINGUISHING)
    rate = _rate(after[len(" ".join(words)) + 1:], anchored=True) or _rate(" ".join(words[:-1]))
    noun = " ".join([*qualifiers, head])
    return f"{noun}/{rate}" if rate else noun
