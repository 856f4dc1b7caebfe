"""Code decides what contradicts, precision first: the tricky non-contradictions (rounding, hedges,
growth the text states, promotions, different things counted, different employers) stay silent."""

from __future__ import annotations

import pytest

from interviewer.ledger import Contradiction, Source, compare, contradictions, extract_claims


def check(earlier: str, later: str, *, earlier_year: int = 2026, later_year: int = 2026) -> list[Contradiction]:
    old = extract_claims(earlier, Source(origin="answer", answer=1, year=earlier_year))
    new = extract_claims(later, Source(origin="answer", answer=2, year=later_year))
    return contradictions(new, old)


@pytest.mark.parametrize(("earlier", "later", "kind"), [
    ("I led a team of four backend engineers.", "The forty engineers I led were spread over three time zones.", "quantity"),
    ("I joined Brightline in 2021.", "In my seven years here at Brightline I've seen a lot.", "date"),
    ("I've worked at Delphi since 2016.", "I've been at Delphi for three years.", "date"),
    ("I have 12 years of experience in security.", "I started my career in 2020 as a SOC analyst.", "date"),
    ("I built the billing reconciliation service myself.",
     "The billing reconciliation service was built by another team before I arrived.", "ownership"),
    ("I wrote the incident runbook myself.", "Someone else wrote the incident runbook; I only followed it.", "ownership"),
    ("I'm currently a staff engineer.", "Right now I'm a mid-level engineer.", "role"),
    ("I was promoted to senior engineer in 2022.", "I've been a senior engineer since 2018.", "date"),
    ("The outage lasted about 20 minutes.", "We were down for six hours during that outage.", "quantity"),
    ("We cut build time from 40 minutes to 8 minutes.", "We cut the build time from 40 minutes to 25 minutes.", "quantity"),
    ("I spent six months at Northwind.", "My four years at Northwind taught me patience.", "duration"),
])
def test_contradictions(earlier: str, later: str, kind: str) -> None:
    found = check(earlier, later)
    assert found and found[0].kind == kind, found
    assert found[0].earlier.quote in earlier and found[0].new.quote in later  # both quotes, verbatim
    assert found[0].reason


@pytest.mark.parametrize(("earlier", "later"), [
    ("I led a team of about 40 engineers.", "I led 42 engineers across four squads."),  # "about"
    ("Our team was a team of 5 when I joined.", "The team grew to 12 over two years."),  # growth, said so
    ("I joined Brightline in 2021.", "In my five years at Brightline I've shipped a lot."),  # adds up
    ("I've been here seven years.", "I joined in 2019."),
    ("I was hired as a junior developer.", "I was promoted to senior engineer last year."),  # promotion
    ("I started as a QA analyst at Finch.", "Now I'm the QA lead at Finch."),
    ("At Acme I managed a team of 4.", "At Globex I managed forty engineers."),  # different employers
    ("I was on a team of 6 at my last job.", "Here I lead 20 people."),
    ("We had 40 engineers in the department.", "My own team was 4 people."),  # different things counted
    ("I handled 40 tickets a day.", "Our whole team handled 400 tickets a day."),  # me vs the team
    ("Our app had 20,000 weekly active users.", "Its monthly active users peaked near 150,000."),
    ("We had 12 microservices at launch.", "By the time I left we had over 60 microservices."),  # time
    ("We served 10,000 requests per second at peak.", "Average load was around 2,000 requests per second."),
    ("I led a team of 5.", "Including me, we were six."),  # with or without the speaker
    ("The team was nearly 30 people.", "There were 28 of us on the team."),
    ("Our nightly job handled 3 TB.", "That's about 3,000 GB every night."),  # units
    ("We processed a dozen data feeds.", "We ingested 12 partner feeds every morning."),
    ("I wrote the first version of the scheduler.", "Later another team rewrote the scheduler."),
    ("I built the alerting system.", "I built the alerting system; the dashboards were built by the SRE team."),
    ("I wrote the data contracts proposal.", "The data contracts proposal I wrote was adopted by the platform team."),
    ("I have a decade of experience.", "I started my career in 2016."),
    ("I've been in security for over ten years.", "I started in security in 2014."),
    ("The index rebuild took three days.", "The whole storage migration took four months."),
    ("I was a senior engineer at Acme.", "At Globex I'm a staff engineer."),
])
def test_look_alikes_that_agree(earlier: str, later: str) -> None:
    assert check(earlier, later) == []


def test_a_story_said_a_year_later_is_compared_by_when_it_started() -> None:
    # "five years here" in 2026 and "four years here" in 2025 both mean joining around 2021
    assert check("I've been here four years.", "I've been here five years.", earlier_year=2025) == []
    assert check("I've been here four years.", "I've been here nine years.", earlier_year=2025)


def test_time_with_this_company_is_tenure_across_interviews() -> None:
    # Issue 27: "with this company" read as a field of work ("career:with company"), so a decade
    # with the company was never compared with having joined it a few years before.
    assert check("I've been with this company since 2022, so about three years.",
                 "I've been with this company for a decade.", earlier_year=2025, later_year=2026)
    assert check("I've been with the company since 2022.", "I've been with this company for four years now.",
                 earlier_year=2025, later_year=2026) == []


def test_compare_is_none_across_kinds_and_for_unrelated_claims() -> None:
    source = Source(origin="answer", answer=1, year=2026)
    team = extract_claims("I led a team of four.", source)[0]
    joined = extract_claims("I joined in 2021.", source)[0]
    assert compare(team, joined) is None and compare(joined, team) is None
    assert compare(team, team) is None


def test_resume_claims_are_compared_like_answers() -> None:
    resume = extract_claims("Senior engineer at Finch. I personally wrote the fraud scoring model.",
                            Source(origin="resume", year=2026))
    answer = extract_claims("My colleague Priya wrote the fraud scoring model; I only deployed it.",
                            Source(origin="answer", answer=4, year=2026))
    found = contradictions(answer, resume)
    assert len(found) == 1 and found[0].earlier.source.origin == "resume" and found[0].kind == "ownership"


def test_one_contradiction_per_pair_of_quotes() -> None:
    found = check("Our cluster had 40 nodes and 40 nodes only.", "Our cluster had 4 nodes.")
    assert len(found) == 1


@pytest.mark.parametrize(("earlier", "later"), [
    # a before/after story told across answers is the story, not a contradiction
    ("Our checkout page took about 4 seconds to load on mobile.", "After the rewrite, the checkout page load went to 1.5 seconds."),
    ("In the first phishing test, 30% of staff clicked the link.", "The next round was 8% of staff."),
    ("Queries against the reports table took 12 seconds.", "Reports table queries dropped to 300 ms."),
])
def test_the_two_halves_of_a_before_and_after_story_agree(earlier: str, later: str) -> None:
    assert check(earlier, later) == []
