"""Generated-token log-probabilities without logits_all (llm/token_logprobs.py), and reading a
check's confidence from them (evaluation/reply.py). No model: a fake `Llama` whose sampler calls
the logits processors the way llama-cpp-python does, one row of logits per generated token."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from interviewer.evaluation.reply import check_confidence
from interviewer.llm import token_logprobs

VOCAB = ['{"', "limit", '":', " [],", " [", "1", "],", " }", "fix", " [", "}"]


class FakeLlama:
    """Generates a fixed token sequence; before each token it shows the processors a row of
    logits in which that token is the most likely."""

    _logits_all = False

    def __init__(self, script: list[int]) -> None:
        self.script = script
        self.calls: list[dict[str, Any]] = []

    def detokenize(self, tokens: list[int]) -> bytes:
        return "".join(VOCAB[t] for t in tokens).encode()

    def create_completion(self, prompt: str, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        if kwargs.get("logprobs") is not None:
            raise ValueError("logprobs is not supported for models created with logits_all=False")
        ids = [0]
        for token in self.script:
            logits = np.full(len(VOCAB), -5.0, dtype=np.single)
            logits[token] = 2.0
            logits[(token + 1) % len(VOCAB)] = 1.0
            for processor in kwargs.get("logits_processor") or []:
                logits = processor(np.array(ids, dtype=np.intc), logits)
            ids.append(token)
        return {"choices": [{"text": "".join(VOCAB[t] for t in self.script), "logprobs": None}]}


@pytest.fixture()
def patched() -> type[FakeLlama]:
    cls = type("PatchedLlama", (FakeLlama,), {})
    token_logprobs.install(cls, list)
    return cls


def test_a_request_for_logprobs_gets_the_top_tokens_of_every_generated_step(patched: type[FakeLlama]) -> None:
    llama = patched([0, 1, 2, 4, 5, 6])
    completion = llama.create_completion("prompt", logprobs=3, temperature=0.0)
    assert llama.calls[0]["logprobs"] is None  # the library's own check never sees the request
    logprobs = completion["choices"][0]["logprobs"]
    assert "".join(logprobs["tokens"]) == completion["choices"][0]["text"]
    assert logprobs["tokens"] == [VOCAB[t] for t in [0, 1, 2, 4, 5, 6]]
    assert logprobs["text_offset"][:3] == [0, 2, 7]
    first = logprobs["top_logprobs"][0]
    assert list(first)[:2] == ['{"', "limit"]
    assert sum(math.exp(v) for v in first.values()) <= 1.0 + 1e-9
    assert logprobs["token_logprobs"][0] == pytest.approx(first['{"'])


def test_without_a_logprobs_request_the_call_is_untouched(patched: type[FakeLlama]) -> None:
    llama = patched([0, 1])
    completion = llama.create_completion("prompt", temperature=0.0)
    assert completion["choices"][0]["logprobs"] is None
    assert "logits_processor" not in llama.calls[0]


def test_the_recorder_returns_the_logits_unchanged() -> None:
    recorder = token_logprobs.StepRecorder(2)
    logits = np.array([0.5, 3.0, -1.0], dtype=np.single)
    assert recorder(np.array([7], dtype=np.intc), logits) is logits
    assert recorder.steps[0][0] == [1, 0]


def _token(text: str, alternatives: dict[str, float]) -> dict[str, Any]:
    return {"token": text, "logprob": max(alternatives.values(), default=0.0),
            "top_logprobs": [{"token": t, "logprob": lp} for t, lp in alternatives.items()]}


def test_a_checks_confidence_compares_a_cited_list_with_the_empty_one() -> None:
    tokens = [
        _token('{"', {'{"': -0.1}), _token("limit", {"limit": -0.1}), _token('":', {'":': 0.0}),
        _token(" [],", {" [],": math.log(0.3), " [": math.log(0.6), ' ["': math.log(0.1)}),
        _token(' "', {' "': 0.0}), _token("fix", {"fix": 0.0}), _token('":', {'":': 0.0}),
        _token(" [", {" [": math.log(0.2), " []": math.log(0.2), " [ ]": math.log(0.2)}),
        _token("2", {"2": 0.0}), _token("]}", {"]}": 0.0}),
    ]
    confidence = check_confidence(tokens, ["limit", "fix", "missing"])
    assert confidence["limit"] == pytest.approx(0.6 / 0.9)  # '["' is not a list of numbers
    assert confidence["fix"] == pytest.approx(0.2 / 0.6)  # "[ ]" is empty too
    assert "missing" not in confidence


def test_a_value_token_that_also_holds_the_colon_is_read_after_it() -> None:
    tokens = [_token('{"fix', {'{"fix': 0.0}), _token('": [', {'": [': math.log(0.8), '": []': math.log(0.2)}),
              _token("1]}", {"1]}": 0.0})]
    assert check_confidence(tokens, ["fix"])["fix"] == pytest.approx(0.8)
