"""The code-only extractor reads claims with their verbatim quotes; `verify_quote` drops claims
whose quote is not in the text or does not say what the claim says."""

from __future__ import annotations

import json

from interviewer.ledger import Claim, Source, extract_claims, verified, verify_quote

SOURCE = Source(origin="answer", answer=3, year=2026)


def kinds(text: str) -> dict[str, list[Claim]]:
    found: dict[str, list[Claim]] = {}
    for claim in extract_claims(text, SOURCE):
        found.setdefault(claim.kind, []).append(claim)
    return found


def test_team_sizes_in_their_many_phrasings() -> None:
    for text, size in [("I led a team of four backend engineers.", 4), ("The forty engineers I led were remote.", 40),
                       ("As the lead of a 15-person mobile team, I set the cadence.", 15),
                       ("There were 28 of us on the team.", 28), ("I manage a team of about 25.", 25)]:
        quantity = kinds(text)["quantity"][0]
        assert quantity.subject.startswith("team") and quantity.unit == "people"
        assert quantity.amount and quantity.amount.value == size, text


def test_counts_keep_what_they_count_and_measures_their_unit() -> None:
    users = kinds("Our app had about 200,000 monthly active users.")["quantity"][0]
    assert users.subject == "active monthly user" and users.amount and users.amount.approximate
    data = kinds("The nightly pipeline processed 3 TB of data.")["quantity"][0]
    assert data.unit == "gb" and data.amount and data.amount.value == 3000
    money = kinds("We saved roughly $50k a year on cloud costs.")["quantity"][0]
    assert money.unit == "usd" and money.subject == "level/year"
    latency = kinds("After the fix, p99 latency was around 80 ms.")["quantity"][0]
    assert latency.unit == "s" and latency.amount and latency.amount.value == 0.08


def test_numbers_that_are_names_count_nothing() -> None:
    assert "quantity" not in kinds("I personally led the SOC 2 audit in 2024.")


def test_durations_dates_roles_ownership_employers_technologies() -> None:
    found = kinds("I joined Brightline in 2021 as a platform engineer. I built the billing service in Go myself.")
    assert found["date"][0].subject == "joined" and found["date"][0].year == 2021
    assert found["date"][0].employer == "brightline"
    own = found["ownership"][0]
    assert own.owner == "i" and own.verb == "build" and own.value == "billing service"
    assert [c.value for c in found["employer"]] == ["Brightline"]
    assert [c.value for c in found["technology"]] == ["Go"]
    tenure = kinds("I've been here seven years.")["duration"][0]
    assert tenure.subject == "tenure" and tenure.ongoing and tenure.amount and tenure.amount.value == 84
    role = kinds("I'm currently a staff engineer.")["role"][0]
    assert role.value == "staff engineer" and role.level == 4 and role.period == "present+now"
    other = kinds("The release pipeline was built by the DevOps team, not me.")["ownership"][0]
    assert other.owner == "other" and other.value == "release pipeline"


def test_a_pronoun_is_the_thing_the_sentence_named() -> None:
    own = kinds("The feature store was already there when I joined; the platform team built it.")["ownership"][0]
    assert own.owner == "other" and own.value == "feature store"


def test_every_quote_is_a_verbatim_sentence_of_the_text() -> None:
    text = "Our team was five people.  I built the alerting system!\nWe had 12 microservices at launch."
    claims = extract_claims(text, SOURCE)
    assert claims and all(c.quote in text and verify_quote(c, text) for c in claims)
    assert all(c.source == SOURCE for c in claims)


def test_claims_round_trip_through_json() -> None:
    claims = extract_claims("I've worked at Delphi since 2016, leading a team of about 40.", SOURCE)
    assert claims
    again = [Claim.model_validate(json.loads(c.model_dump_json())) for c in claims]
    assert again == claims


def test_a_quote_not_in_the_text_is_dropped() -> None:
    text = "I led a team of four engineers."
    real = extract_claims(text, SOURCE)[0]
    invented = real.model_copy(update={"quote": "I led a team of forty engineers."})
    assert verify_quote(real, text) and not verify_quote(invented, text)
    assert verified([real, invented], text) == [real]


def test_a_real_quote_with_a_wrong_value_is_dropped() -> None:
    text = "I led a team of four engineers. I joined in 2021."
    team, joined = extract_claims(text, SOURCE)[:2]
    assert team.amount is not None
    wrong_number = team.model_copy(update={"amount": team.amount.model_copy(update={"value": 40.0})})
    wrong_year = joined.model_copy(update={"year": 2019})
    assert verified([team, joined, wrong_number, wrong_year], text) == [team, joined]


def test_spacing_and_curly_quotes_do_not_fail_a_real_quote() -> None:
    text = "I\u2019ve been  here seven years."
    claim = extract_claims(text, SOURCE)[0]
    model_proposed = claim.model_copy(update={"quote": "I've been here seven years."})
    assert verify_quote(model_proposed, text)
