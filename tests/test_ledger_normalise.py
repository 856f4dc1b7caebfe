"""Numbers, durations and dates as candidates say them, normalised with the range they may mean."""

from __future__ import annotations

import pytest

from interviewer.claims import Amount
from interviewer.ledger.numbers import APPROX_RE, parse_number, to_amount
from interviewer.ledger.timespan import parse_date, parse_duration, since


@pytest.mark.parametrize(("text", "value"), [
    ("forty", 40), ("forty-two", 42), ("a dozen", 12), ("2.5k", 2500), ("1.2 million", 1_200_000),
    ("1,200", 1200), ("fifty thousand", 50_000), ("two million", 2_000_000), ("3", 3), ("a hundred", 100),
])
def test_number_words_and_scales(text: str, value: float) -> None:
    parsed = parse_number(text)
    assert parsed is not None and parsed[0] == value


def parse_amount(text: str) -> Amount | None:
    """The first number in `text` with its hedge, read the way the quantity parser reads one."""
    m = APPROX_RE.search(text)
    parsed = parse_number(m.group("number")) if m else None
    return to_amount(parsed[0], m.group("number"), m.group("approx"), parsed[1]) if m and parsed else None


def test_hedges_become_ranges() -> None:
    about, tilde, exact = parse_amount("about 40"), parse_amount("~40"), parse_amount("42")
    assert about and tilde and exact
    assert about == tilde and about.approximate and not exact.approximate
    assert about.overlaps(exact)  # "about 40" and "42" are one claim
    over = parse_amount("over 200")
    assert over and over.low == 200 and over.high and over.high > 200
    nearly = parse_amount("nearly 30")
    assert nearly and nearly.high == 30 and nearly.low < 30
    at_least = parse_amount("at least 5")
    assert at_least and at_least.high is None


def test_round_numbers_allow_rounding_but_not_a_factor_of_ten() -> None:
    four, forty = parse_amount("four"), parse_amount("forty")
    assert four and forty and not four.overlaps(forty)
    two_m, two_one_m = parse_amount("2 million"), parse_amount("2.1 million")
    assert two_m and two_one_m and two_m.overlaps(two_one_m)


@pytest.mark.parametrize(("text", "months"), [
    ("seven years", 84), ("18 months", 18), ("a year and a half", 18), ("a decade", 120), ("two weeks", 12 / 52 * 2),
    ("about five years", 60), ("nearly two years", 24),
])
def test_durations_in_months(text: str, months: float) -> None:
    amount = parse_duration(text)
    assert amount is not None and amount.value == pytest.approx(months)


def test_a_year_and_a_half_is_18_months_and_seven_years_is_not_five() -> None:
    a, b = parse_duration("a year and a half"), parse_duration("18 months")
    assert a and b and a.overlaps(b)
    seven, five = parse_duration("seven years"), parse_duration("five years")
    assert seven and five and not seven.overlaps(five)


def test_since_needs_the_year_it_was_said() -> None:
    years = since(2021, 2026)
    assert years.low == 48 and years.high == 72  # four to six years: neither month is known
    assert since(2021, 2026, month=6).low > 48


@pytest.mark.parametrize(("text", "date"), [
    ("I joined in 2021", (2021, None)), ("in March 2020", (2020, 3)), ("the summer of 2023", (2023, 7)),
    ("2021-03", (2021, 3)), ("no date here", None),
])
def test_dates(text: str, date: tuple[int, int | None] | None) -> None:
    assert parse_date(text) == date
