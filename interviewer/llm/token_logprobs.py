"""Top log-probabilities of generated tokens from the embedded server, without `logits_all`.

The evaluator asks for `logprobs` so it can read how sure the model was of each yes/no check
(evaluation/reply.py `check_confidence`). llama-cpp-python answers `logprobs` only when the model
keeps the logits of every position (`logits_all`), which reads prompts at about half speed and
puts 600 KB of logits per token into every saved prompt-cache state (benchmarks/evaluator.md).
Yet the sampler sees the one row of logits it needs for each generated token anyway. So the
server process patches `Llama.create_completion`: a non-streaming request that asks for
`logprobs` gets a logits processor that records the top-k log-probabilities at each step (it
returns the logits unchanged, so the reply is the same), and the completion carries them in the
OpenAI completion shape that llama-cpp-python's chat layer already converts. Streaming requests
and models that do keep all logits go through untouched.

The log-probabilities are of the model's raw distribution, before the grammar that forces the
JSON shape: a check's confidence compares the two continuations the grammar allows there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

Row = npt.NDArray[np.float64]


def log_softmax(logits: Sequence[float] | npt.NDArray[Any]) -> Row:
    x = np.asarray(logits, dtype=np.float64)
    top = float(x.max())
    return x - (top + float(np.log(np.exp(x - top).sum())))


def top_k(row: Row, k: int) -> tuple[list[int], list[float]]:
    """The k most likely token ids of one step, most likely first, with their log-probabilities."""
    k = max(1, min(k, row.shape[0]))
    ids = np.argpartition(-row, k - 1)[:k]
    ids = ids[np.argsort(-row[ids], kind="stable")]
    return [int(i) for i in ids], [float(row[i]) for i in ids]


class StepRecorder:
    """A llama-cpp-python logits processor that records each generation step and changes nothing.

    The token sampled at a step is known only at the next one (it is the last input id then), so
    `chosen` lags `steps` by one until `finish` reads the last token off the completion's text."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.steps: list[tuple[list[int], list[float]]] = []
        self.chosen: list[tuple[int, float]] = []
        self._previous: Row | None = None

    def __call__(self, input_ids: npt.NDArray[np.intc], logits: npt.NDArray[np.single]) -> npt.NDArray[np.single]:
        row = log_softmax(logits)
        if self._previous is not None and len(input_ids):
            token = int(input_ids[-1])
            self.chosen.append((token, float(self._previous[token])))
        self.steps.append(top_k(row, self.k))
        self._previous = row
        return logits

    def finish(self, text: str, detokenize: Callable[[int], str]) -> dict[str, Any]:
        """The OpenAI completion `logprobs` object for `text`, the completion's generated text."""
        tokens = [detokenize(token) for token, _ in self.chosen]
        logprobs = [lp for _, lp in self.chosen]
        done = "".join(tokens)
        if len(self.steps) > len(self.chosen) and text.startswith(done) and len(text) > len(done):
            # The last sampled token never came back as an input: its text is what is left, and
            # its log-probability is taken as the step's best (the JSON's closing brace).
            tokens.append(text[len(done):])
            logprobs.append(self.steps[len(tokens) - 1][1][0])
        offsets: list[int] = []
        position = 0
        for token in tokens:
            offsets.append(position)
            position += len(token)
        top = [
            {detokenize(i): v for i, v in zip(ids, values)}
            for ids, values in self.steps[: len(tokens)]
        ]
        return {"tokens": tokens, "text_offset": offsets, "token_logprobs": logprobs, "top_logprobs": top}


def install(llama_class: Any, processor_list: Callable[[list[Any]], Any]) -> None:
    """Patch `llama_class.create_completion` (llama_cpp.Llama) as the module docstring says.
    `processor_list` builds llama-cpp-python's LogitsProcessorList."""
    original = llama_class.create_completion

    def create_completion(self: Any, *args: Any, **kwargs: Any) -> Any:
        k = kwargs.get("logprobs")
        if k is None or getattr(self, "_logits_all", False) or kwargs.get("stream"):
            return original(self, *args, **kwargs)
        recorder = StepRecorder(int(k))
        kwargs["logprobs"] = None
        kwargs["logits_processor"] = processor_list([*(kwargs.get("logits_processor") or []), recorder])
        completion = original(self, *args, **kwargs)
        choice = completion["choices"][0]

        def detokenize(token: int) -> str:
            return bytes(self.detokenize([token])).decode("utf-8", errors="replace")

        choice["logprobs"] = recorder.finish(choice["text"], detokenize)
        return completion

    llama_class.create_completion = create_completion
