"""Which follow-up an answer calls for, read off the reader's states (issue 27).

The lexical probing rules (policy.story_gaps) chose a follow-up the authors of the training set
(training/probes/) marked acceptable for 0.40 of their answers and one they marked wrong (asking
for what was said, or what does not apply) for 0.60 (benchmarks/bench_probe_choice.py, a generic
bank question, fourteen authors). The reader's one read of (question, answer) already holds what
the answer gives and, in the three dimension branches read after it, what the question asks for. A linear head
per probe kind on those states says how acceptable that kind is next:
    score[kind] = w[kind] . features(states) + offset[kind]
and the policy asks the best kind only when its score clears `bar`, moves on whenever `move_on`
is best, and otherwise claims no specific reason (policy.NEUTRAL; KindReading.choice). One
author left out at a time, the best kind alone fits 0.80 and is wrong 0.20; above the bar see
the file's `meta`.

Pure numpy, no model call: the states come from the evaluator's reader (evaluation/reader.py).
Trained by `interviewer train-probe` (cli/probe.py, fit in probe_fit.py); like the reader's
head, the file records the prompt and model file it was trained for and is used only with them.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from interviewer.evaluation.reader_head import ReadStates
from interviewer.llm.state_reader import decode_vector as unb64
from interviewer.llm.state_reader import encode as b64
from interviewer.resources import prompts_dir
from interviewer.session import DIMENSIONS

PROBE_FILE = "reader_probe.json"
MOVE_ON = "move_on"
# The follow-up kinds the training authors labelled (training/probes/briefs/common.md), and
# `move_on`: no follow-up, the answer covers what the question needs.
KINDS = ("why", "how_found", "prevention", "impact", "lesson", "own_part", "example", "specifics", "close_gap", MOVE_ON)

Matrix = npt.NDArray[np.float64]


def features(states: ReadStates) -> npt.NDArray[np.float64]:
    """The answer's mean and element-wise max sentence state, and the three dimension branches'
    last states (they read the question as well as the answer, so they carry what it asks for).
    Training data only, one author left out: answer states alone chose an acceptable kind 0.70
    of the time, with the branches 0.79 (benchmarks/RESULTS.md section 10)."""
    stacked = np.stack(states.sentence_means).astype(np.float64)
    blocks = [states.mean().astype(np.float64), stacked.max(axis=0)]
    blocks += [np.asarray(states.last[d], np.float64) for d in DIMENSIONS]
    return np.concatenate(blocks)


@dataclass(frozen=True)
class KindReading:
    """The head's scores for one answer, and the bar above which a kind is asked by name."""

    scores: dict[str, float]
    bar: float

    def best(self, exclude: Collection[str] = ()) -> tuple[str, float]:
        """The highest-scoring kind not in `exclude` (kinds already asked on this question)."""
        open_kinds = [k for k in self.scores if k not in exclude] or [MOVE_ON]
        kind = max(open_kinds, key=lambda k: self.scores.get(k, float("-inf")))
        return kind, self.scores.get(kind, float("-inf"))

    def confident(self, kind: str) -> bool:
        return self.scores.get(kind, float("-inf")) >= self.bar

    def choice(self, exclude: Collection[str] = ()) -> str | None:
        """The follow-up this reading calls for: the best kind not in `exclude` when it clears the
        bar; `move_on` whenever it is the best, since moving on claims nothing about the answer
        (the bar guards stated reasons); None otherwise, the neutral follow-up (policy.NEUTRAL).
        Why move_on needs no bar: below it, one author left out at a time, moving on was
        acceptable for 0.69 of the answers whose best kind it was, and the neutral follow-up
        for 1 of 12 (training data, the two authors who also labelled it: session 16)."""
        kind, _ = self.best(exclude)
        return kind if kind == MOVE_ON or self.confident(kind) else None


# The reading of an answer on a backend that reads, when it did not come in time (a pasted or
# very fast typed answer, a busy evaluator: interview/reading.py). Not "no reader" (None), though
# the policy treats both alike: the text rules stand in and name only what they see reliably
# (policy.trusted_gaps).
NOT_READ = KindReading({}, float("inf"))


@dataclass
class ProbeHead:
    kinds: tuple[str, ...]
    w: npt.NDArray[np.float32]  # (kinds, features), folded over the training standardisation
    offsets: list[float]
    bar: float
    prompt_sha256: str
    model_sha256: str
    meta: dict[str, Any]

    def read(self, states: ReadStates) -> KindReading:
        return self.reading(features(states))

    def reading(self, x: npt.NDArray[np.float64]) -> KindReading:
        """The reading of one answer's `features` (benchmarks keep features, not states)."""
        raw = self.w.astype(np.float64) @ x + np.asarray(self.offsets, np.float64)
        return KindReading({k: float(v) for k, v in zip(self.kinds, raw)}, self.bar)

    def matches(self, prompt_sha256: str, model_sha256: str | None) -> bool:
        return self.prompt_sha256 == prompt_sha256 and self.model_sha256 == model_sha256

    def to_json(self) -> dict[str, Any]:
        return {"version": 1, "kinds": list(self.kinds), "n_features": int(self.w.shape[1]), "w": b64(self.w.ravel()),
                "offsets": self.offsets, "bar": self.bar, "prompt_sha256": self.prompt_sha256,
                "model_sha256": self.model_sha256, "meta": self.meta}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ProbeHead":
        kinds = tuple(str(k) for k in data["kinds"])
        w = unb64(data["w"]).reshape(len(kinds), int(data["n_features"]))
        return cls(kinds, w, [float(v) for v in data["offsets"]], float(data["bar"]), str(data["prompt_sha256"]),
                   str(data["model_sha256"]), dict(data.get("meta", {})))


class KindReader(Protocol):
    """Reads (question, answers) and says which follow-up they call for (the engine's view)."""

    async def read_kinds(self, question: str, text: str) -> KindReading: ...


class HeadKindReader:
    """The head over a reader's states: `states` is the evaluator's read (ReaderEvaluator.states),
    so the read that decides the follow-up is the one that scores the answer."""

    def __init__(self, states: Callable[[str, str], Awaitable[ReadStates]], head: ProbeHead) -> None:
        self.states = states
        self.head = head

    async def read_kinds(self, question: str, text: str) -> KindReading:
        return self.head.read(await self.states(question, text))


def kind_reader_for(evaluator: object, enabled: bool = True) -> KindReader | None:
    """The follow-up reader over `evaluator`'s reads: only a reader evaluator has states, and
    only a head trained for its prompt and model file is used."""
    from interviewer.evaluation.reader import ReaderEvaluator  # the evaluator's module, not needed otherwise

    if not enabled or not isinstance(evaluator, ReaderEvaluator):
        return None
    head = load_probe_head()
    if head is None or not head.matches(evaluator.head.prompt_sha256, evaluator.head.model_sha256):
        return None
    return HeadKindReader(evaluator.states, head)


def probe_path() -> Path:
    return prompts_dir() / PROBE_FILE


def load_probe_head(path: Path | None = None) -> ProbeHead | None:
    """The shipped head, or None when there is none (then the lexical rules choose)."""
    path = path or probe_path()
    if not path.is_file():
        return None
    return ProbeHead.from_json(json.loads(path.read_text(encoding="utf-8")))
