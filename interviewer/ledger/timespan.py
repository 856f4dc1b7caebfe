"""Durations and dates as candidates say them: "seven years", "18 months", "a year and a half",
"a decade", "since 2021" (given the year it was said), "March 2020", "the summer of 2023".
Durations become months; dates a year and, when said, a month.
"""

from __future__ import annotations

import re

from interviewer.claims import Amount
from interviewer.ledger.numbers import APPROX, NUMBER, parse_number, scaled, to_amount

MONTHS_PER = {"year": 12.0, "yr": 12.0, "month": 1.0, "week": 12 / 52, "day": 12 / 365, "decade": 120.0}
MONTH_NAMES = {m: i for i, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"), start=1)}
SEASONS = {"spring": 4, "summer": 7, "autumn": 10, "fall": 10, "winter": 1}

YEAR = r"(?:19[6-9]\d|20[0-4]\d)"
_UNIT = r"(?:years?|yrs?|months?|weeks?|days?)"
DURATION = (
    rf"(?:(?:{APPROX})\s*)?(?:(?:a|one) year and a half|(?:a|one|{NUMBER}) and a half (?:years?|months?)"
    rf"|(?:a|one) decade|a year|a month|(?:{NUMBER})[\s-]+{_UNIT}|(?:{NUMBER})[\s-]+decades?)"
)
DURATION_RE = re.compile(rf"(?<![\w])(?P<duration>{DURATION})(?![\w])", re.IGNORECASE)
_SPLIT_RE = re.compile(rf"^(?:(?P<approx>{APPROX})\s*)?(?P<rest>.+)$", re.IGNORECASE)
DATE = (
    rf"(?:(?:early|mid|late|the)\s+)?(?:(?:(?:{'|'.join(MONTH_NAMES)}|{'|'.join(SEASONS)})(?:\s+of)?\s+)?{YEAR}"
    rf"(?:-(?:0[1-9]|1[0-2]))?)"
)
DATE_RE = re.compile(rf"\b(?P<date>{DATE})\b", re.IGNORECASE)


def _unit_months(unit: str) -> float:
    unit = unit.lower().rstrip("s")
    return MONTHS_PER["year" if unit in ("yr", "year") else unit]


def parse_duration(text: str) -> Amount | None:
    """A spoken duration in months, with its range: "seven years" is 78-96 months (people round
    tenure down to the last anniversary), "18 months" 16-20, "nearly two years" 19-24."""
    m = DURATION_RE.search(text)
    if not m:
        return None
    split = _SPLIT_RE.match(m.group("duration"))
    if split is None:
        return None
    approx, rest = split.group("approx"), split.group("rest").lower()
    if re.fullmatch(r"(?:a|one) year and a half", rest):
        return to_amount(18.0, "18", approx) if approx else Amount(value=18, low=16, high=20)
    if re.fullmatch(r"(?:a|one) decade", rest):
        return _years(10, approx)
    if rest in ("a year", "a month"):
        return _years(1, approx) if rest == "a year" else to_amount(1.0, "1", approx)
    half = re.fullmatch(rf"(?P<n>{NUMBER}|a|one) and a half (?P<unit>{_UNIT})", rest, re.IGNORECASE)
    if half:
        n = 1.0 if half.group("n") in ("a", "one") else (parse_number(half.group("n")) or (0.0, False))[0]
        return scaled(to_amount(n + 0.5, str(n + 0.5), approx), _unit_months(half.group("unit")))
    plain = re.fullmatch(rf"(?P<n>{NUMBER})[\s-]+(?P<unit>{_UNIT}|decades?)", rest, re.IGNORECASE)
    if not plain:
        return None
    parsed = parse_number(plain.group("n"))
    if parsed is None:
        return None
    unit = plain.group("unit").lower().rstrip("s")
    if unit in ("year", "yr", "decade"):
        return _years(parsed[0] * (10 if unit == "decade" else 1), approx, parsed[1])
    amount = to_amount(parsed[0], plain.group("n"), approx, parsed[1])
    if not approx and not parsed[1]:  # "18 months": a month either way, not 10 %
        amount = Amount(value=parsed[0], low=min(amount.low, parsed[0] - 1), high=max(amount.high or 0, parsed[0] + 1))
    return scaled(amount, _unit_months(unit))


def _years(n: float, approx: str | None, vague: bool = False) -> Amount:
    """Whole years are said rounded down ("seven years" on the way to eight) and sometimes up:
    half a year below to a full year above."""
    if approx or vague:
        return scaled(to_amount(n, str(int(n)), approx, vague), 12)
    return Amount(value=n * 12, low=(n - 0.5) * 12, high=(n + 1) * 12)


def since(year: int, said_in: int, month: int | None = None) -> Amount:
    """ "since 2021" said in 2026: between four and six years, because neither month is known."""
    start = year + ((month - 1) / 12 if month else 0.0)
    spread = 0.0 if month else 1.0
    low = max(said_in - start - spread, 0.0)
    high = said_in + 1 - start
    return Amount(value=(said_in - start) * 12, low=low * 12, high=high * 12, approximate=True)


def parse_date(text: str) -> tuple[int, int | None] | None:
    """ "March 2020" -> (2020, 3); "the summer of 2023" -> (2023, 7); "2021" -> (2021, None)."""
    m = DATE_RE.search(text)
    if not m:
        return None
    date = m.group("date").lower()
    year_m = re.search(YEAR, date)
    if year_m is None:
        return None
    year = int(year_m.group(0))
    iso = re.search(rf"{YEAR}-(\d\d)", date)
    if iso:
        return year, int(iso.group(1))
    for name, number in MONTH_NAMES.items():
        if name in date:
            return year, number
    for name, number in SEASONS.items():
        if name in date:
            return year, number
    return year, None


def start_range(year: int, month: int | None) -> tuple[float, float]:
    """When something dated by year (and maybe month) started, as fractional years."""
    if month:
        return year + (month - 2) / 12, year + month / 12  # seasons are a month either way too
    return float(year), year + 1.0
