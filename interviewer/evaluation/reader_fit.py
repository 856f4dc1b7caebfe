"""Fitting the reader's head (reader_head.py) from states of the training corpus. Pure numpy.

The corpus (training/reader/authors/*.jsonl, one file per independent author) has three kinds of
record: `pair` (better/worse on one dimension, the others kept about equal), `crossed` (A better
on one dimension and worse on another) and `ladder` (five answers at levels 1-5 on one
dimension). Each becomes difference rows per dimension: (x_a - x_b) / sigma with target +1 when a
is the better one, and, for a pair, target 0 on the two dimensions it keeps equal (optional:
`zero_others`), which is what teaches a head its own dimension and not "overall quality".

A head is ridge regression without intercept on those rows (solved in its dual form: there are
fewer rows than features), one per dimension; the 1-5 level is a least-squares line from the raw
score to the ladders' levels. Blocks and the ridge strength are chosen by leave-one-author-out
cross-validation (`cross_validate`), never on evaluation data.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from interviewer.evaluation.reader_head import DimensionHead, Head
from interviewer.session import DIMENSIONS, Dimension

Matrix = npt.NDArray[np.float64]
Key = tuple[str, str]  # (question, answer)
Features = Callable[[Key, Dimension], npt.NDArray[np.float32]]


@dataclass(frozen=True)
class Comparison:
    """`a` is better than `b` on `dim` (target +1), or about equal (target 0)."""

    author: str
    kind: str  # pair | crossed | ladder
    item: str
    dim: Dimension
    a: Key
    b: Key
    target: float


@dataclass
class Ladder:
    author: str
    item: str
    dim: Dimension
    answers: list[Key]  # levels 1..5 in order


@dataclass
class Corpus:
    comparisons: list[Comparison] = field(default_factory=list)
    ladders: list[Ladder] = field(default_factory=list)

    def keys(self) -> list[Key]:
        seen: dict[Key, None] = {}
        for c in self.comparisons:
            seen.setdefault(c.a)
            seen.setdefault(c.b)
        for ladder in self.ladders:
            for k in ladder.answers:
                seen.setdefault(k)
        return list(seen)

    def authors(self) -> list[str]:
        return sorted({c.author for c in self.comparisons} | {lad.author for lad in self.ladders})


def load_corpus(folder: Path) -> Corpus:
    """Every author's file; a malformed line is an error naming the file and line."""
    corpus = Corpus()
    for path in sorted(folder.glob("*.jsonl")):
        author = path.stem
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                add_record(corpus, author, json.loads(line))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{n}: {exc}") from exc
    return corpus


def add_record(corpus: Corpus, author: str, rec: dict[str, Any]) -> None:
    q = str(rec["question"]).strip()
    kind, item = rec["type"], str(rec["id"])
    if kind == "pair":
        dim = Dimension(rec["dim"])
        better, worse = (q, str(rec["better"]).strip()), (q, str(rec["worse"]).strip())
        corpus.comparisons.append(Comparison(author, kind, item, dim, better, worse, 1.0))
        corpus.comparisons.extend(
            Comparison(author, "pair_other", item, d, better, worse, 0.0) for d in DIMENSIONS if d is not dim
        )
    elif kind == "crossed":
        a, b = (q, str(rec["a"]).strip()), (q, str(rec["b"]).strip())
        da, db = Dimension(rec["a_better_on"]), Dimension(rec["b_better_on"])
        if da is db:
            raise ValueError("a crossed pair needs two different dimensions")
        corpus.comparisons.append(Comparison(author, kind, item, da, a, b, 1.0))
        corpus.comparisons.append(Comparison(author, kind, item, db, b, a, 1.0))
    elif kind == "ladder":
        dim = Dimension(rec["dim"])
        answers = [(q, str(t).strip()) for t in rec["answers"]]
        if len(answers) != 5:
            raise ValueError("a ladder has five answers")
        corpus.ladders.append(Ladder(author, item, dim, answers))
        corpus.comparisons.extend(
            Comparison(author, kind, item, dim, answers[j], answers[i], 1.0) for i in range(5) for j in range(i + 1, 5)
        )
    else:
        raise ValueError(f"unknown type {kind!r}")


@dataclass(frozen=True)
class FitOptions:
    blocks: tuple[str, ...] = ("mean", "last")
    ridge: float = 1.0  # per row: lambda = ridge * n_rows
    zero_others: bool = True
    # Difference rows only compare answers to one question, so nothing ties a plain answer to "What
    # are you working on?" to a plain answer about a mistake: with `anchor` > 0 each ladder answer
    # is also a row of its own, target anchor * (level - 3), so raw scores share one scale across
    # questions (0: off, the heads of sessions 10-19).
    anchor: float = 0.0


def _standardise(xs: Matrix) -> tuple[Matrix, Matrix]:
    mu = xs.mean(axis=0)
    sigma = xs.std(axis=0)
    sigma[sigma < 1e-6] = 1.0
    return mu, sigma


def fit_head(corpus: Corpus, features: Features, options: FitOptions, n_embd: int,
             prompt_sha256: str = "", model_sha256: str = "", meta: dict[str, Any] | None = None) -> Head:
    dims: dict[Dimension, DimensionHead] = {}
    for dim in DIMENSIONS:
        rows = [c for c in corpus.comparisons if c.dim is dim and (options.zero_others or c.target != 0.0)]
        anchored = ([(k, lvl + 1) for lad in corpus.ladders if lad.dim is dim for lvl, k in enumerate(lad.answers)]
                    if options.anchor else [])
        keys = sorted({k for c in rows for k in (c.a, c.b)} | {k for k, _ in anchored})
        x = np.stack([features(k, dim) for k in keys]).astype(np.float64)
        mu, sigma = _standardise(x)
        index = {k: i for i, k in enumerate(keys)}
        z = (x - mu) / sigma
        diffs = np.stack([z[index[c.a]] - z[index[c.b]] for c in rows] + [z[index[k]] for k, _ in anchored])
        y = np.asarray([c.target for c in rows] + [options.anchor * (lvl - 3) for _, lvl in anchored])
        lam = options.ridge * len(y)
        alpha = np.linalg.solve(diffs @ diffs.T + lam * np.eye(len(y)), y)
        w_std = diffs.T @ alpha
        w = w_std / sigma
        offset = -float(w @ mu)
        centre = 0.0
        if "mean" in options.blocks:
            at = options.blocks.index("mean") * n_embd
            centre = float(w[at: at + n_embd] @ mu[at: at + n_embd])
        head = DimensionHead(w.astype(np.float32), offset, 1.0, 0.0, centre)
        slope, intercept = level_line([(head.raw(features(k, dim)), lvl + 1)
                                       for lad in corpus.ladders if lad.dim is dim for lvl, k in enumerate(lad.answers)])
        dims[dim] = DimensionHead(head.w, offset, slope, intercept, centre)
    return Head(options.blocks, n_embd, dims, prompt_sha256, model_sha256, meta or {})


def level_line(points: Iterable[tuple[float, int]]) -> tuple[float, float]:
    """Least-squares line raw -> level; without ladders, the identity around level 3."""
    pts = list(points)
    if len(pts) < 2:
        return 1.0, 3.0
    raw = np.asarray([p[0] for p in pts])
    lvl = np.asarray([p[1] for p in pts], dtype=np.float64)
    slope, intercept = np.polyfit(raw, lvl, 1)
    return float(slope), float(intercept)


def spearman(a: list[float], b: list[float]) -> float:
    ra = np.argsort(np.argsort(a)).astype(np.float64)
    rb = np.argsort(np.argsort(b)).astype(np.float64)
    if ra.std() == 0 or rb.std() == 0:
        return 0.0
    return float(np.corrcoef(ra, rb)[0, 1])


@dataclass
class Tally:
    right: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.right += int(ok)
        self.total += 1

    @property
    def rate(self) -> float:
        return self.right / self.total if self.total else float("nan")


def measure(head: Head, corpus: Corpus, features: Features) -> dict[str, Any]:
    """Pairwise accuracy per dimension, crossed pairs right on both dimensions, and for ladders
    the Spearman correlation with the level and the share of answers within one level."""
    def raw(k: Key, d: Dimension) -> float:
        return head.dims[d].raw(features(k, d))

    pairs = {d: Tally() for d in DIMENSIONS}
    length = {d: Tally() for d in DIMENSIONS}
    crossed: dict[str, list[bool]] = {}
    for c in corpus.comparisons:
        if c.kind == "pair":
            pairs[c.dim].add(raw(c.a, c.dim) > raw(c.b, c.dim))
            length[c.dim].add(len(c.a[1].split()) > len(c.b[1].split()))
        elif c.kind == "crossed":
            crossed.setdefault(c.item, []).append(raw(c.a, c.dim) > raw(c.b, c.dim))
    both = Tally()
    for oks in crossed.values():
        both.add(all(oks))
    rhos: dict[Dimension, list[float]] = {d: [] for d in DIMENSIONS}
    within = {d: Tally() for d in DIMENSIONS}
    for lad in corpus.ladders:
        scores = [raw(k, lad.dim) for k in lad.answers]
        rhos[lad.dim].append(spearman(scores, [1, 2, 3, 4, 5]))
        for lvl, s in enumerate(scores, 1):
            within[lad.dim].add(abs(head.dims[lad.dim].level(s) - lvl) <= 1)
    return {
        "pairs": {d.value: [pairs[d].right, pairs[d].total] for d in DIMENSIONS},
        "length_baseline": {d.value: [length[d].right, length[d].total] for d in DIMENSIONS},
        "crossed_both": [both.right, both.total],
        "ladder_spearman": {d.value: (float(np.mean(rhos[d])) if rhos[d] else None) for d in DIMENSIONS},
        "ladder_within_one": {d.value: [within[d].right, within[d].total] for d in DIMENSIONS},
    }


def add_up(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Fold per-author results (counts add up; Spearman is averaged over ladders)."""
    out: dict[str, Any] = {"pairs": {}, "length_baseline": {}, "ladder_within_one": {}, "ladder_spearman": {}}
    for part in ("pairs", "length_baseline", "ladder_within_one"):
        for d in DIMENSIONS:
            out[part][d.value] = [sum(r[part][d.value][0] for r in results), sum(r[part][d.value][1] for r in results)]
    out["crossed_both"] = [sum(r["crossed_both"][0] for r in results), sum(r["crossed_both"][1] for r in results)]
    for d in DIMENSIONS:
        vals = [r["ladder_spearman"][d.value] for r in results if r["ladder_spearman"][d.value] is not None]
        out["ladder_spearman"][d.value] = float(np.mean(vals)) if vals else None
    return out


def cross_validate(corpus: Corpus, features: Callable[[tuple[str, ...]], Features], options: FitOptions,
                   n_embd: int) -> dict[str, Any]:
    """Leave one author out: train on the others, measure on that author; summed over authors."""
    results = []
    feats = features(options.blocks)
    for author in corpus.authors():
        train = Corpus([c for c in corpus.comparisons if c.author != author], [x for x in corpus.ladders if x.author != author])
        test = Corpus([c for c in corpus.comparisons if c.author == author], [x for x in corpus.ladders if x.author == author])
        results.append(measure(fit_head(train, feats, options, n_embd), test, feats))
    return add_up(results)
