"""The reader's trained head: hidden states of one read -> a 1-5 score per dimension, and each
sentence's share of it. Pure numpy; no model, no HTTP (reader.py brings the states).

The head is linear on standardised states, stored folded (`w / sigma` and one offset), so
    raw = w . features + offset,   level = clip(round(slope * raw + intercept), 1, 5).
`features` are blocks of the read (ReadStates): `mean` is the mean of the answer's token states
(shared by all dimensions), `last` / `branch_mean` are the last / mean state of that dimension's
short branch read after the answer. Because `mean` is a token-weighted mean of sentence means,
its part of `raw` is a sum over sentences, and `contributions` reads each sentence's share off
the same numbers that made the score (no second model call).

Trained and cross-validated by `interviewer train-reader` (cli/reader.py, fit in reader_fit.py);
the file records the prompt and model it was trained for, and `matches` refuses any other.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

# Vectors travel and are stored as float32 base64 with the server's own codec.
from interviewer.llm.state_reader import decode_vector as unb64
from interviewer.llm.state_reader import encode as b64
from interviewer.resources import prompts_dir
from interviewer.session import DIMENSIONS, Dimension

Vector = npt.NDArray[np.float32]
HEAD_FILE = "reader_head.json"
BLOCKS = ("mean", "last", "branch_mean")


@dataclass
class ReadStates:
    """What one read returned: per answer sentence its token count and mean state, and per
    dimension its branch's last and mean state."""

    sentence_tokens: list[int]
    sentence_means: list[Vector]
    last: dict[Dimension, Vector]
    branch_mean: dict[Dimension, Vector]

    def mean(self) -> Vector:
        """The mean of every answer token's state (token-weighted mean of sentence means)."""
        weights = np.asarray(self.sentence_tokens, dtype=np.float64)
        if not len(weights) or weights.sum() == 0:
            raise ValueError("no answer tokens were read")
        stacked = np.stack(self.sentence_means).astype(np.float64)
        mean: Vector = (weights @ stacked / weights.sum()).astype(np.float32)
        return mean

    def block(self, name: str, dim: Dimension) -> Vector:
        if name == "mean":
            return self.mean()
        return self.last[dim] if name == "last" else self.branch_mean[dim]

    def features(self, dim: Dimension, blocks: tuple[str, ...]) -> Vector:
        joined: Vector = np.concatenate([self.block(b, dim) for b in blocks]).astype(np.float32)
        return joined

    @classmethod
    def from_response(cls, body: dict[str, Any], pooled: list[int]) -> "ReadStates":
        """Parse the server's reply (llm/state_reader.py); `pooled` are the indexes of the
        answer's sentence pieces in the request, `branches` come in DIMENSIONS order."""
        pieces = body["pieces"]
        tokens, means = [], []
        n_embd = int(body["n_embd"])
        for i in pooled:
            piece = pieces[i]
            tokens.append(int(piece["tokens"]))
            means.append(unb64(piece["mean"]) if piece.get("mean") else np.zeros(n_embd, np.float32))
        branches = body["branches"]
        if len(branches) != len(DIMENSIONS):
            raise ValueError(f"expected {len(DIMENSIONS)} branches, got {len(branches)}")
        last = {d: unb64(b["last"]) for d, b in zip(DIMENSIONS, branches)}
        bmean = {d: unb64(b["mean"]) for d, b in zip(DIMENSIONS, branches)}
        return cls(tokens, means, last, bmean)


@dataclass
class DimensionHead:
    w: Vector
    offset: float
    slope: float
    intercept: float
    # The `mean` block's weights times the training answers' mean state: a sentence's share is
    # measured from there, so shares add up to how far this answer's mean part sits from an
    # average training answer's.
    centre: float = 0.0

    def raw(self, x: Vector) -> float:
        return float(np.dot(self.w.astype(np.float64), x.astype(np.float64)) + self.offset)

    def level(self, raw: float) -> int:
        return int(min(5, max(1, round(self.slope * raw + self.intercept))))


@dataclass
class Head:
    blocks: tuple[str, ...]
    n_embd: int
    dims: dict[Dimension, DimensionHead]
    prompt_sha256: str
    model_sha256: str
    meta: dict[str, Any]

    def raw(self, states: ReadStates, dim: Dimension) -> float:
        return self.dims[dim].raw(states.features(dim, self.blocks))

    def level(self, states: ReadStates, dim: Dimension) -> int:
        return self.dims[dim].level(self.raw(states, dim))

    def contributions(self, states: ReadStates, dim: Dimension) -> list[float]:
        """Each sentence's share of the `mean` block's part of the raw score, measured from an
        average training answer: positive raised the score, negative lowered it; they add up to
        that part's distance from the average. Empty when the head reads no `mean` block."""
        if "mean" not in self.blocks:
            return []
        start = self.blocks.index("mean") * self.n_embd
        u = self.dims[dim].w[start: start + self.n_embd].astype(np.float64)
        total = float(sum(states.sentence_tokens)) or 1.0
        centre = self.dims[dim].centre
        return [
            (n / total) * (float(np.dot(u, m.astype(np.float64))) - centre)
            for n, m in zip(states.sentence_tokens, states.sentence_means)
        ]

    def matches(self, prompt_sha256: str, model_sha256: str | None) -> bool:
        return self.prompt_sha256 == prompt_sha256 and self.model_sha256 == model_sha256

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "blocks": list(self.blocks),
            "n_embd": self.n_embd,
            "prompt_sha256": self.prompt_sha256,
            "model_sha256": self.model_sha256,
            "meta": self.meta,
            "dimensions": {
                d.value: {"w": b64(h.w), "offset": h.offset, "slope": h.slope, "intercept": h.intercept,
                          "centre": h.centre}
                for d, h in self.dims.items()
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Head":
        blocks = tuple(data["blocks"])
        unknown = set(blocks) - set(BLOCKS)
        if unknown:
            raise ValueError(f"unknown feature blocks {sorted(unknown)}")
        n_embd = int(data["n_embd"])
        dims = {}
        for d in DIMENSIONS:
            spec = data["dimensions"][d.value]
            w = unb64(spec["w"])
            if len(w) != n_embd * len(blocks):
                raise ValueError(f"{d.value}: {len(w)} weights for {len(blocks)} blocks of {n_embd}")
            dims[d] = DimensionHead(w, float(spec["offset"]), float(spec["slope"]), float(spec["intercept"]),
                                    float(spec.get("centre", 0.0)))
        return cls(blocks, n_embd, dims, str(data["prompt_sha256"]), str(data["model_sha256"]), dict(data.get("meta", {})))


def head_path() -> Path:
    return prompts_dir() / HEAD_FILE


def load_head(path: Path | None = None) -> Head | None:
    """The shipped head, or None when there is none (then the judge scores)."""
    path = path or head_path()
    if not path.is_file():
        return None
    return Head.from_json(json.loads(path.read_text(encoding="utf-8")))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
