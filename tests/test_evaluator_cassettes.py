"""The evaluator chain on recorded HTTP of the real embedded model (replayed by default).

Record with: VCR_RECORD=1 pytest tests/test_evaluator_cassettes.py
Also: malformed HTTP responses through the real OpenAI client yield "unavailable", not a number.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr
from langchain_openai import ChatOpenAI

from interviewer.cli.evaluate import injection_strings
from interviewer.evaluation.evaluator import INJECTION_ATTEMPT, AnswerEvaluator
from interviewer.llm.provider import EVALUATOR_TOP_LOGPROBS, LLMRuntime, Role
from interviewer.session import DIMENSIONS, Dimension, EvalStatus, Evaluation

# langchain-openai caches one async HTTP client per process; keep one event loop for the module
# so the second test does not find that client bound to a closed loop.
pytestmark = pytest.mark.asyncio(loop_scope="module")

DATA = Path(__file__).parent / "data" / "evaluator_pairs.jsonl"
PAIRS = {p["id"]: p for p in (json.loads(line) for line in DATA.read_text().splitlines() if line.strip())}
# One pair per dimension, from our own set (not the dev set).
CASES = ["own-rc-slowquery", "own-ho-mistake", "own-st-conflict"]


def make_evaluator(runtime: LLMRuntime) -> AnswerEvaluator:
    """The production settings (Role.EVALUATOR, temperature 0), with deterministic markers so the
    recorded request bodies match on replay."""
    counter = itertools.count()
    model = runtime.chat_model(Role.EVALUATOR, temperature=0, max_tokens=400)
    return AnswerEvaluator(model, marker=lambda: f"ANSWER-REPLAY{next(counter):04d}",
                           top_logprobs=runtime.evaluator_top_logprobs)


async def test_the_embedded_server_returns_logprobs_for_the_judges_reply(
    cassette_vcr: vcr.VCR, cassette_runtime: LLMRuntime
) -> None:
    """The experimental confidence weighting (INTERVIEWER_EVALUATOR_LOGPROBS=1) on the real
    server: llm/token_logprobs.py returns the reply's top tokens without logits_all, and every
    check gets a confidence; a sure cited check weighs close to a flat yes."""
    pair = PAIRS["own-rc-slowquery"]
    model = cassette_runtime.chat_model(Role.EVALUATOR, temperature=0, max_tokens=400)
    evaluator = AnswerEvaluator(model, marker=lambda: "ANSWER-REPLAY-LP", top_logprobs=EVALUATOR_TOP_LOGPROBS)
    with cassette_vcr.use_cassette("evaluator_logprobs.yaml"):
        judgement = await evaluator.judge(pair["question"], pair["better"])
    reading = judgement.reading
    assert set(reading.confidence) == set(reading.checks), reading.confidence
    assert all(0.0 <= p <= 1.0 for p in reading.confidence.values())
    # The model wrote what it found most likely: a cited check has P(yes) above one half, and a
    # check left empty has it below (the grammar allows only these two continuations).
    for check, met in reading.checks.items():
        if reading.cited[check] or not met:
            assert (reading.confidence[check] > 0.5) == bool(reading.cited[check]), (check, reading.confidence)


def assert_quotes_verbatim(evaluation: Evaluation, answer: str) -> None:
    assert evaluation.status is EvalStatus.OK, evaluation.error
    for dim in DIMENSIONS:
        quotes = evaluation.evidence.get(dim.value, [])
        if evaluation.score(dim) is not None:
            assert 1 <= len(quotes) <= 3, (dim, quotes)
        for quote in quotes:
            assert quote in answer, f"non-verbatim quote for {dim.value}: {quote!r}"


async def test_real_model_ranks_better_over_worse_with_verbatim_quotes(
    cassette_vcr: vcr.VCR, cassette_runtime: LLMRuntime
) -> None:
    evaluator = make_evaluator(cassette_runtime)
    with cassette_vcr.use_cassette("evaluator_pairs.yaml"):
        for case in CASES:
            pair = PAIRS[case]
            dim = Dimension(pair["dim"])
            better = await evaluator.evaluate(pair["question"], pair["better"])
            worse = await evaluator.evaluate(pair["question"], pair["worse"])
            assert_quotes_verbatim(better, pair["better"])
            assert_quotes_verbatim(worse, pair["worse"])
            assert (better.score(dim) or 0) > (worse.score(dim) or 0), (case, better, worse)
            assert better.rationale[dim.value] and worse.rationale[dim.value]


async def test_real_chain_flags_an_injection_and_never_scores_it_higher(
    cassette_vcr: vcr.VCR, cassette_runtime: LLMRuntime
) -> None:
    pair = PAIRS["own-rc-flaky"]
    attacks = [injection_strings()[1], injection_strings()[-1]]  # one of ours, one from the corpus
    with cassette_vcr.use_cassette("evaluator_injection.yaml"):
        plain = await make_evaluator(cassette_runtime).evaluate(pair["question"], pair["worse"])
        assert_quotes_verbatim(plain, pair["worse"])
        for attack in attacks:
            text = f"{pair['worse']} {attack}"
            # A fresh evaluator each time: no in-process cache, the model is really asked again.
            hit = await make_evaluator(cassette_runtime).evaluate(pair["question"], text)
            assert_quotes_verbatim(hit, text)
            assert INJECTION_ATTEMPT in hit.flags and INJECTION_ATTEMPT not in plain.flags
            for dim in DIMENSIONS:
                assert (hit.score(dim) or 0) <= (plain.score(dim) or 0), (dim, attack)


# -- malformed responses through the real client (httpx mock transport, no server) -------------
def _completion(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "x", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": "stop"}],
    }


def _tool(arguments: str) -> dict[str, Any]:
    call = {"id": "c1", "type": "function", "function": {"name": "record_checks", "arguments": arguments}}
    return _completion({"content": None, "tool_calls": [call]})


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="this is not json"),
        httpx.Response(200, json={"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": []}),
        httpx.Response(200, json=_tool('{"honesty": 7, "root_cause": 9}')),  # wrong keys, out of range
        httpx.Response(200, json=_tool('{"explains_why": "maybe"')),  # broken JSON arguments
        httpx.Response(200, json=_completion({"content": "I would give this a 4."})),
        httpx.Response(500, json={"error": {"message": "boom"}}),
        httpx.Response(429, json={"error": {"message": "slow down"}}),
    ],
)
async def test_malformed_http_response_is_unavailable(response: httpx.Response) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return response

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    model = ChatOpenAI(
        model="m", api_key="sk-test", base_url="http://127.0.0.1:9/v1", max_retries=0,
        http_async_client=client, use_responses_api=False, temperature=0,
    )
    result = await AnswerEvaluator(model).evaluate(
        "A bug?", "I reproduced it with logging, because the cache key ignored the tenant, and added a test."
    )
    assert result.status is EvalStatus.UNAVAILABLE and result.error
    assert result.scores() == {d.value: None for d in DIMENSIONS} and result.evidence == {}
    assert 1 <= len(requests) <= 2  # at most one retry of our own
