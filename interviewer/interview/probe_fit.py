"""Fitting the probe-choice head (probe_head.py) on training/probes/, one author left out.

Per kind, a ridge regression on standardised features to +1 (the author marked the kind
acceptable) / -1 (not), solved in dual form (a few hundred rows, thousands of features). The
bar is chosen on the left-out authors' scores: the lowest score at which the best kind of the
answers above it is one the author marked wrong at most `max_false` of the time. Below it the
interviewer states no specific reason (policy.NEUTRAL). Numpy only; the reads are the caller's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from interviewer.interview.cleanup import thread_text
from interviewer.interview.probe_head import KINDS, Matrix
from interviewer.interview.reading import same_story


@dataclass(frozen=True)
class ProbeRow:
    id: str
    author: str
    question: str
    answer: str
    acceptable: frozenset[str]
    not_acceptable: frozenset[str]
    given: frozenset[str] = frozenset()  # what the author says the answer contains
    follows_on: bool = False  # `answer` begins with the answer to an earlier question on the same work
    same_story: bool | None = None  # a retold-story row: whether its author says it retells the earlier story


# What each kind's recorded reason (prompts/interviewer_probes.yaml) says the answer lacks, in the
# authors' `given` elements: the reason is false when the author marked that element given (for
# `why` also when no problem was told; for `close_gap` when no gap was admitted). `specifics`
# ("hard to follow") has no element; its reason counts as false when the kind was marked wrong.
REASON_CLAIMS: dict[str, tuple[str, bool]] = {
    "why": ("cause", True), "how_found": ("how_found", True), "prevention": ("prevention", True),
    "impact": ("result", True), "lesson": ("lesson", True), "own_part": ("own_actions", True),
    "example": ("concrete_story", True), "close_gap": ("admitted_gap", False),
}


def reason_false(kind: str, row: ProbeRow) -> bool:
    """Whether the reason recorded for asking `kind` after `row`'s answer is false by its
    author's own account of what the answer gives (the issue's "every recorded reason is true")."""
    if kind == "why" and "problem" not in row.given:
        return True
    if kind not in REASON_CLAIMS:
        return kind in row.not_acceptable
    element, false_when_given = REASON_CLAIMS[kind]
    return (element in row.given) == false_when_given


def load_rows(folder: Path, pattern: str = "*.jsonl") -> list[ProbeRow]:
    """Every row of every author file (`<author>.jsonl`), in file then line order. A row with an
    `earlier_answer` (to an earlier question about the same work) is read as the interviewer
    reads such a thread: that answer first (reading.thread_for_reading, cleanup.thread_text). A
    retold-story row (`same_story`: the earlier answer was to an unrelated question) is read that
    way only when the interviewer would join them (reading.same_story), else alone."""
    out: list[ProbeRow] = []
    for path in sorted(folder.glob(pattern)):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                earlier = row.get("earlier_answer")
                if "same_story" in row and not same_story(earlier, row["answer"]):
                    earlier = None
                answers = [earlier, row["answer"]] if earlier else [row["answer"]]
                out.append(ProbeRow(row["id"], path.stem, row["question"], thread_text(answers),
                                    frozenset(row["acceptable"]), frozenset(row["not_acceptable"]),
                                    frozenset(k for k, v in row.get("given", {}).items() if v),
                                    bool(earlier), row.get("same_story")))
    return out


def ridge(x: Matrix, y: npt.NDArray[np.bool_], strength: float) -> tuple[npt.NDArray[np.float64], float]:
    """(w, offset) with score = x . w + offset, the standardisation folded into w."""
    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-6
    a = (x - mu) / sd
    target = np.where(y, 1.0, -1.0)
    offset = float(target.mean())
    alpha = np.linalg.solve(a @ a.T + strength * len(a) * np.eye(len(a)), target - offset)
    w = (a.T @ alpha) / sd
    return w, offset - float(mu @ w)


def fit(x: Matrix, rows: Sequence[ProbeRow], strength: float) -> tuple[npt.NDArray[np.float64], list[float]]:
    """One (w, offset) per kind, in KINDS order."""
    ws, offsets = [], []
    for kind in KINDS:
        w, offset = ridge(x, np.array([kind in r.acceptable for r in rows]), strength)
        ws.append(w)
        offsets.append(offset)
    return np.stack(ws), offsets


def held_out_scores(x: Matrix, rows: Sequence[ProbeRow], strength: float) -> Matrix:
    """Every row's kind scores from a head fitted without its author."""
    owner = np.array([r.author for r in rows])
    scores = np.zeros((len(rows), len(KINDS)))
    for author in sorted(set(owner)):
        test = owner == author
        w, offsets = fit(x[~test], [r for r, t in zip(rows, test) if not t], strength)
        scores[test] = x[test] @ w.T + np.asarray(offsets)
    return scores


def rates(rows: Sequence[ProbeRow], picks: Sequence[str]) -> dict[str, float]:
    n = max(len(rows), 1)
    return {"fit": round(sum(p in r.acceptable for r, p in zip(rows, picks)) / n, 3),
            "false_reason": round(sum(p in r.not_acceptable for r, p in zip(rows, picks)) / n, 3)}


def cross_validate(x: Matrix, rows: Sequence[ProbeRow], strength: float, max_false: float) -> dict[str, Any]:
    """The left-out authors' results for one ridge strength: the best kind always, and the bar."""
    return summarise(held_out_scores(x, rows, strength), rows, strength, max_false)


def summarise(scores: Matrix, rows: Sequence[ProbeRow], strength: float, max_false: float) -> dict[str, Any]:
    """cross_validate's table row from the left-out scores (benchmarks keep the scores too)."""
    best = [KINDS[i] for i in scores.argmax(axis=1)]
    top = scores.max(axis=1)
    bar = float("inf")
    for cut in sorted(set(np.round(top, 4)), reverse=True):  # from the most confident down
        chosen = [i for i in range(len(rows)) if top[i] >= cut]
        if sum(best[i] in rows[i].not_acceptable for i in chosen) <= max_false * len(chosen):
            bar = float(cut)
    above = [i for i in range(len(rows)) if top[i] >= bar]
    return {"ridge": strength, "best_kind": rates(rows, best), "bar": round(bar, 4),
            "coverage": round(len(above) / max(len(rows), 1), 3),
            "above_bar": rates([rows[i] for i in above], [best[i] for i in above])}
