"""The server entry point's own pieces: honest cache accounting and argument splitting."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from interviewer.llm.server_main import split_args, state_bytes


@dataclass
class FakeState:
    """The fields of llama_cpp.LlamaState the cache looks at."""

    input_ids: np.ndarray
    scores: np.ndarray
    llama_state_size: int


def state(n_tokens: int, vocab: int = 1000) -> FakeState:
    return FakeState(np.zeros(n_tokens, dtype=np.intc), np.zeros((n_tokens, vocab), dtype=np.single), 100)


def test_a_state_counts_its_logits_and_tokens_not_only_its_kv_bytes() -> None:
    s = state(10)
    assert state_bytes(s) == 100 + 10 * 1000 * 4 + 10 * 4


def test_the_honest_cache_evicts_by_real_size() -> None:
    from interviewer.llm.server_main import honest_cache_class

    one = state_bytes(state(10))
    cache = honest_cache_class()(capacity_bytes=3 * one)
    for i in range(20):
        cache[(i, i + 1)] = state(10)  # type: ignore[assignment]
        assert cache.cache_size <= 3 * one
    assert len(cache.cache_state) == 3
    # The library's own class would have kept all 20 (it counts 100 bytes each).


def test_our_options_are_taken_out_and_the_rest_passed_on() -> None:
    own, rest = split_args(["--parent-pid", "42", "--model", "m.gguf", "--role", "evaluator", "--port", "1"])
    assert own == {"--parent-pid": "42", "--role": "evaluator"}
    assert rest == ["--model", "m.gguf", "--port", "1"]
