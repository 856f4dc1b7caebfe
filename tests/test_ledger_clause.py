"""The clause a probe and the report quote, and whether a reply restates a claim's value."""

from __future__ import annotations

import pytest

from interviewer.ledger import Claim, Source, extract_claims
from interviewer.ledger.clause import MAX_WORDS, fact_clause, mentions

SAID = Source(origin="answer", answer=1, year=2026)


def claim(text: str, kind: str = "quantity") -> Claim:
    return next(c for c in extract_claims(text, SAID) if c.kind == kind)


@pytest.mark.parametrize(
    ("text", "kind", "clause", "fact"),
    [
        ("The hardest part was keeping the forty engineers I led aligned while we migrated the checkout service.",
         "quantity", "The hardest part was keeping the forty engineers I led aligned", "forty"),
        ("At my current job I led a team of four engineers on the payments platform for the last three years.",
         "quantity", "I led a team of four engineers on the payments platform", "four"),
        ("Led a team of 4.", "quantity", "Led a team of 4", "4"),
        ("I have been at Acme for seven years, mostly on the data platform and before that on billing.",
         "duration", "I have been at Acme for seven years", "seven years"),
        ("I joined Acme in 2024.", "date", "I joined Acme in 2024", "2024"),
        ("Our checkout API served about 2 million users a day and after my change the p99 dropped.",
         "quantity", "Our checkout API served about 2 million users a day", "2 million"),
    ],
)
def test_the_clause_with_the_fact_is_short_and_verbatim(text: str, kind: str, clause: str, fact: str) -> None:
    found = fact_clause(claim(text, kind))
    assert (found.text, found.fact) == (clause, fact)
    assert found.text in text and len(found.text.split()) <= MAX_WORDS


def test_a_long_clause_is_cut_to_a_window_around_the_fact() -> None:
    text = ("In the end the migration that my manager had planned for a whole year finally moved "
            "thirty services to the new cluster without anyone on call being paged at night.")
    found = fact_clause(claim(text))
    assert found.fact == "thirty" and found.text in text and len(found.text.split()) <= MAX_WORDS


@pytest.mark.parametrize(
    ("reply", "four", "forty"),
    [
        ("It was four.", True, False),
        ("Sorry, 4 on my team.", True, False),
        ("Forty, across the whole department; four reported to me.", True, True),
        ("About forty in total.", False, True),
        ("I don't remember exactly.", False, False),
        ("It was fourteen.", False, False),
    ],
)
def test_mentions_finds_a_restated_value_in_any_spelling(reply: str, four: bool, forty: bool) -> None:
    small = claim("I led a team of four engineers.")
    large = claim("I led a team of forty engineers.")
    assert (mentions(reply, small), mentions(reply, large)) == (four, forty)


def test_mentions_years_durations_and_names() -> None:
    joined = claim("I joined Acme in 2019.", "date")
    tenure = claim("I have been at Acme for seven years.", "duration")
    built = claim("I built the billing service myself.", "ownership")
    assert mentions("It was 2019, in March.", joined) and not mentions("It was 2021.", joined)
    assert mentions("Seven years, yes.", tenure) and mentions("7 years", tenure) and not mentions("six years", tenure)
    assert mentions("The billing service was mine.", built) and not mentions("The search service.", built)
