"""Fit the rubric's criterion weights on the calibration set's TUNE split, never the held-out one.

Input: the per-answer dumps of `bench_evaluator.py --dump=FILE` (the model's checks and the code
signals of every answer, one model call each), so fitting costs no model calls. Every check and
every signal of a dimension is its own feature; the search is coordinate ascent over a small grid
of weights, each kept to the sign the rubric gives it (a weight that would have to flip sign is
set to 0 instead: a feature that points the wrong way on this data is dropped, not inverted).
The target is the same pairwise accuracy `interviewer eval` reports (better > worse on the pair's
dimension, a tie counts half, 1-5 rounded scores), with a small penalty per unit of weight so
that, between equal fits, the simpler one wins.

    python benchmarks/tune_rubric.py out_honesty.json out_rest.json

Prints the fitted weights per dimension and their tune accuracy next to the current rubric's. The
weights are copied into prompts/rubric.yaml by hand; the held-out split is then run ONCE.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from interviewer.evaluation.rubric import load_rubric
from interviewer.session import Dimension

GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
PENALTY = 0.002  # per unit of |weight|: breaks ties towards fewer, smaller weights
# No single lexical rule may decide a dimension on its own: a signal's weight stays below the
# one-point step a rounded score needs, so a signal moves a score only together with other evidence.
MAX_SIGNAL_WEIGHT = 0.75


def features(row: dict[str, Any], dim: Dimension) -> dict[str, float]:
    rubric = load_rubric()
    out: dict[str, float] = {}
    for crit in rubric.dimension(dim).criteria:
        if crit.check:
            out[f"check:{crit.check}"] = float(row["checks"][crit.check])
        if crit.signal:
            out[f"signal:{crit.signal}"] = float(row["signals"][crit.signal])
    return out


def signs(dim: Dimension) -> dict[str, int]:
    out: dict[str, int] = {}
    for crit in load_rubric().dimension(dim).criteria:
        for key in ([f"check:{crit.check}"] if crit.check else []) + ([f"signal:{crit.signal}"] if crit.signal else []):
            out[key] = 1 if crit.weight > 0 else -1
    return out


def score(feats: dict[str, float], base: float, weights: dict[str, float]) -> int:
    raw = base + sum(weights.get(k, 0.0) * v for k, v in feats.items())
    return max(1, min(5, int(raw + 0.5)))


def accuracy(pairs: list[tuple[dict[str, float], dict[str, float]]], base: float, weights: dict[str, float]) -> float:
    total = 0.0
    for better, worse in pairs:
        b, w = score(better, base, weights), score(worse, base, weights)
        total += 1.0 if b > w else 0.5 if b == w else 0.0
    return total / len(pairs)


def fit(pairs: list[tuple[dict[str, float], dict[str, float]]], dim: Dimension) -> tuple[float, dict[str, float]]:
    sign = signs(dim)
    spec = load_rubric().dimension(dim)
    weights = {k: 0.0 for k in sign}
    base = spec.base

    def objective(b: float, w: dict[str, float]) -> float:
        return accuracy(pairs, b, w) - PENALTY * sum(abs(v) for v in w.values())

    best = objective(base, weights)
    for _ in range(6):
        improved = False
        for b in (1.0, 1.5, 2.0, 2.5, 3.0, 3.5):
            if objective(b, weights) > best + 1e-9:
                base, best, improved = b, objective(b, weights), True
        for key in sign:
            for value in GRID:
                if key.startswith("signal:") and value > MAX_SIGNAL_WEIGHT:
                    continue
                trial = {**weights, key: sign[key] * value}
                got = objective(base, trial)
                if got > best + 1e-9:
                    weights, best, improved = trial, got, True
        if not improved:
            break
    return base, {k: v for k, v in weights.items() if v}


def current(dim: Dimension) -> tuple[float, dict[str, float]]:
    """The rubric as it stands, in the same feature space (average mode: half to each part)."""
    spec = load_rubric().dimension(dim)
    weights: dict[str, float] = defaultdict(float)
    for crit in spec.criteria:
        parts = ([f"check:{crit.check}"] if crit.check else []) + ([f"signal:{crit.signal}"] if crit.signal else [])
        for key in parts:
            weights[key] += crit.weight / len(parts)
    return spec.base, dict(weights)


def main(paths: list[Path]) -> None:
    rows = [r for p in paths for r in json.loads(p.read_text())]
    by_pair: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        by_pair[row["id"]][row["side"]] = row
    for dim in Dimension:
        pairs = [
            (features(sides["better"], dim), features(sides["worse"], dim))
            for sides in by_pair.values()
            if sides["better"]["dim"] == dim.value and "worse" in sides
        ]
        if not pairs:
            continue
        base0, w0 = current(dim)
        base, weights = fit(pairs, dim)
        print(f"{dim.value}: {len(pairs)} tune pairs; current rubric {accuracy(pairs, base0, w0):.2f}, fitted {accuracy(pairs, base, weights):.2f}")
        # Leave-one-out: fit on all pairs but one, score that one; an honest estimate of how
        # much of the tune accuracy is fitting noise.
        held = [accuracy([pairs[i]], *fit(pairs[:i] + pairs[i + 1 :], dim)) for i in range(len(pairs))]
        print(f"  leave-one-out {sum(held) / len(held):.2f}; base {base}")
        for key, value in sorted(weights.items(), key=lambda kv: -abs(kv[1])):
            print(f"  {key:32s} {value:+.1f}")


if __name__ == "__main__":
    main([Path(a) for a in sys.argv[1:]])
