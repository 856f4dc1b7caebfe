"""Which sentences of an answer are aimed at the grader, read off the reader's own states.

The lexical detector (injection.py) only knows the phrasings someone wrote rules for; the fresh
held-out set showed most attempts get past it in other words. The reader already holds, for every
answer sentence, the model's mean state over that sentence, in the context of the question and the
answer so far (ReadStates.sentence_means). A linear probe on those states says how much a sentence
reads like text addressed to the grader rather than an answer to the question:
    score = w . sentence_mean + offset,   aimed  <=>  score > threshold
(with `window`, w also weighs the mean of the sentence's two neighbours).
No model call is added: the states come from the read that scores the answer.

Trained by `interviewer train-aim` (cli/aim.py, fit in aim_fit.py) on training/injection/, written
for that purpose by independent authors; the threshold is chosen by leave-one-author-out
cross-validation on that corpus to keep false flags on innocent answers rare. Like the reader's
head, the file records the prompt and model file it was trained for and is used only with them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from interviewer.evaluation.reader_head import ReadStates, Vector
from interviewer.text import Span
from interviewer.llm.state_reader import decode_vector as unb64
from interviewer.llm.state_reader import encode as b64
from interviewer.resources import prompts_dir

AIM_FILE = "reader_aim.json"


@dataclass
class AimHead:
    w: Vector
    offset: float
    threshold: float
    prompt_sha256: str
    model_sha256: str
    meta: dict[str, Any]
    # A lower bar for withholding a sentence from the cap's reading than for flagging the answer:
    # withholding only lets a score fall to what the answer earns without that sentence, while a
    # flag accuses. None: the same bar.
    withhold: float | None = None
    # Whether each sentence is read beside its neighbours (`sentence_windows`).
    window: bool = False
    # A still lower bar at which a sentence the lexical rules mark as instruction-like is withheld
    # too (`vetted`): the rules alone lowered many innocent look-alikes, the probe alone misses
    # some comments and role-play set-ups the rules know. None: the rules withhold nothing.
    rules: float | None = None

    def scores(self, states: ReadStates) -> list[float]:
        x = sentence_windows(np.stack(states.sentence_means).astype(np.float64), self.window)
        return [float(v) for v in x @ self.w.astype(np.float64) + self.offset]

    def aimed(self, states: ReadStates) -> list[int]:
        """Indexes of the answer sentences that read as aimed at the grader."""
        return self._over(states, self.threshold)

    def withheld(self, states: ReadStates) -> list[int]:
        """Indexes of the sentences the cap reads the answer without (a superset of `aimed`)."""
        return self._over(states, self.threshold if self.withhold is None else min(self.withhold, self.threshold))

    def vetted(self, states: ReadStates, spans: list[Span], marked: list[Span]) -> list[Span]:
        """The stretches of `marked` (the rules' instruction-like stretches) that overlap a sentence
        (`spans`, in the order of the read's sentences) the probe scores over the rules' bar."""
        if self.rules is None or not marked:
            return []
        over = [sp for sp, v in zip(spans, self.scores(states)) if v > self.rules]
        return [m for m in marked if any(a < m[1] and m[0] < b for a, b in over)]

    def _over(self, states: ReadStates, bar: float) -> list[int]:
        return [i for i, s in enumerate(self.scores(states)) if s > bar]

    def matches(self, prompt_sha256: str, model_sha256: str | None) -> bool:
        return self.prompt_sha256 == prompt_sha256 and self.model_sha256 == model_sha256

    def to_json(self) -> dict[str, Any]:
        return {"version": 1, "w": b64(self.w), "offset": self.offset, "threshold": self.threshold,
                "withhold": self.withhold, "window": self.window, "rules": self.rules, "prompt_sha256": self.prompt_sha256,
                "model_sha256": self.model_sha256, "meta": self.meta}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "AimHead":
        withhold, rules = data.get("withhold"), data.get("rules")
        return cls(unb64(data["w"]), float(data["offset"]), float(data["threshold"]), str(data["prompt_sha256"]),
                   str(data["model_sha256"]), dict(data.get("meta", {})), None if withhold is None else float(withhold),
                   bool(data.get("window", False)), None if rules is None else float(rules))


def sentence_windows(means: npt.NDArray[np.float64], window: bool) -> npt.NDArray[np.float64]:
    """What the probe reads per sentence: its mean state and, with `window`, beside it the mean of
    its two neighbours' (zeros past either end). An attempt written in the answer's own register
    (a log line, a commit message, a quoted mentor) reads like the answer sentence by sentence;
    next to what surrounds it, it does not (session 14, training data: one author left out,
    attempts removed whole 445 -> 455 of 482 at the same 4 of 484 innocent answers flagged)."""
    if not window:
        return means
    zero = np.zeros_like(means[:1])
    before = np.vstack([zero, means[:-1]])
    after = np.vstack([means[1:], zero])
    return np.concatenate([means, (before + after) / 2], axis=1)


def aim_path() -> Path:
    return prompts_dir() / AIM_FILE


def load_aim_head(path: Path | None = None) -> AimHead | None:
    """The shipped probe, or None when there is none (then only the lexical detector withholds)."""
    path = path or aim_path()
    if not path.is_file():
        return None
    return AimHead.from_json(json.loads(path.read_text(encoding="utf-8")))
