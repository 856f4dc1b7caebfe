"""The hybrid claim reader on recorded HTTP of the real embedded model (replayed by default).

Record with (the real model starts; serialise with other users of the machine):
    flock /tmp/model.lock env VCR_RECORD=1 pytest tests/test_ledger_cassettes.py

Whatever the model proposed, every claim kept must quote the answer verbatim and say what the
claim says (`verify_quote`), and the code-only claims must all still be there.
"""

from __future__ import annotations

import pytest
import vcr

from interviewer.ledger import Source, contradictions, extract_claims, verify_quote
from interviewer.ledger.read import LedgerReading, read_with_model
from interviewer.llm.provider import LLMRuntime, Role

# langchain-openai caches one async HTTP client per process; one event loop for the module.
pytestmark = pytest.mark.asyncio(loop_scope="module")

# Our own answers, written for this test (not from the benchmark sets).
ANSWERS = [
    # a fact code reads itself, and one the model must point at across a sentence
    "At Marlow I run a team of six data engineers. We needed a billing exporter for the auditors. "
    "I wrote it in my first month.",
    # the same exporter, now someone else's: a contradiction only the model's pointer makes visible
    "Honestly the billing exporter was not mine. Another engineer coded it before I came to Marlow.",
    # nothing checkable: whatever is proposed must come to nothing
    "I think good tests matter more than fast releases, and I enjoy pairing with new hires.",
]


async def read_all(runtime: LLMRuntime) -> list[LedgerReading]:
    # The production settings for background work: the evaluator's server, temperature 0.
    model = runtime.chat_model(Role.EVALUATOR, temperature=0, max_tokens=400)
    return [await read_with_model(text, Source(origin="answer", answer=i, year=2026), model)
            for i, text in enumerate(ANSWERS, start=1)]


async def test_real_model_proposals_are_verified_and_code_claims_kept(
    cassette_vcr: vcr.VCR, cassette_runtime: LLMRuntime
) -> None:
    with cassette_vcr.use_cassette("ledger_claims.yaml"):
        readings = await read_all(cassette_runtime)
    for text, reading in zip(ANSWERS, readings):
        assert reading.error is None, reading.error
        code = extract_claims(text, reading.claims[0].source) if reading.claims else []
        assert reading.claims[: len(code)] == code  # code's claims first, untouched
        for claim in reading.claims:
            assert claim.quote in text and verify_quote(claim, text), claim
        for verdict in reading.verdicts:
            assert (verdict.outcome == "added") == bool(verdict.claims)
    assert readings[2].claims == []


async def test_what_the_real_model_points_at_and_what_code_makes_of_it(
    cassette_vcr: vcr.VCR, cassette_runtime: LLMRuntime
) -> None:
    """What the 1.5B model did on these answers, as recorded (benchmarks/ledger.md has the
    numbers): it found the team size code also reads, labelled "I wrote it" a date instead of
    ownership, and named the doer ("another engineer") as the thing built. Code turned none of
    that into a claim, so the contradiction between answers 1 and 2 stays unseen: a miss, never a
    false accusation."""
    with cassette_vcr.use_cassette("ledger_claims.yaml"):
        first, second, opinion = await read_all(cassette_runtime)
    assert [(v.proposal.kind, v.outcome) for v in first.verdicts] == [
        ("team_size", "known"), ("title", "unreadable"), ("date", "unreadable")]
    [doer] = [v for v in second.verdicts if v.proposal.thing.lower() == "another engineer"]
    assert doer.outcome == "unreadable" and not doer.claims
    assert all(v.outcome == "unreadable" for v in opinion.verdicts)
    assert not any(v.claims for r in (first, second, opinion) for v in r.verdicts)
    assert contradictions(second.claims, first.claims) == []
