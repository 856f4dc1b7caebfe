"""Fitting the grader-aim probe (aim_head.py) from the reader's sentence states. Pure numpy.

The corpus (training/injection/authors/*.jsonl, one file per independent author) has two kinds of
row: `attempt` rows (an ordinary answer, text aimed at the grader, and where it goes: `place`
assembles them as the app's benchmarks do) and `benign` rows (answers with no such text, many of
them look-alikes that talk about scores, graders, prompts or speak to the interviewer). Each
sentence of the text the reader reads is one example: 1 when a third or more of its characters
belong to the attempt, else 0.

The probe is ridge regression on standardised sentence states with both classes weighted
equally, stored folded (`w / sigma`, one offset). Its strength and the threshold are chosen by
leave-one-author-out cross-validation (`cross_validate`): the threshold is the lowest at which
at most `max_benign_flags` of each left-out author's benign answers have any sentence flagged, and
the strength is the one that then removes the most attempts whole. Never on evaluation data.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from interviewer.evaluation.aim_head import sentence_windows
from interviewer.evaluation.spans import tidy
from interviewer.text import Span, sentences

Matrix = npt.NDArray[np.float64]


def place(answer: str, attempt: str, position: str) -> tuple[str, Span]:
    """The answer with the attempt put where `position` says ("start", "middle": after the
    answer's first sentence, else "end"), and where the attempt sits in the result."""
    if position == "start":
        return f"{attempt}\n{answer}", (0, len(attempt))
    if position == "middle":
        cut = sentences(answer)
        if len(cut) > 1:
            end = cut[0][1]
            head = f"{answer[:end]} "
            return f"{head}{attempt} {answer[end:].lstrip()}", (len(head), len(head) + len(attempt))
    return f"{answer}\n{attempt}", (len(answer) + 1, len(answer) + 1 + len(attempt))


@dataclass(frozen=True)
class AimItem:
    author: str
    id: str
    question: str
    text: str  # what the reader reads (tidied)
    attempt: Span | None  # where the attempt sits in `text`; None for a benign row
    clean: str | None  # the answer alone (tidied), for attempt rows


def _locate(text: str, attempt: str) -> Span | None:
    at = text.find(attempt)
    return (at, at + len(attempt)) if at >= 0 else None


def load_items(folder: Path) -> list[AimItem]:
    items: list[AimItem] = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("attempt"):
                placed, _ = place(row["answer"], row["attempt"], row.get("position", "end"))
                text = tidy(placed)
                span = _locate(text, tidy(row["attempt"]))
                if span is None:
                    raise ValueError(f"{path.name} {row['id']}: the attempt is not found in the assembled text")
                items.append(AimItem(path.stem, row["id"], row["question"], text, span, tidy(row["answer"])))
            else:
                items.append(AimItem(path.stem, row["id"], row["question"], tidy(row["answer"]), None, None))
    return items


def labels(item: AimItem, spans: list[Span]) -> list[int]:
    """1 for each sentence at least a third of whose characters are the attempt's: an attempt
    with no closing full stop runs into the answer's next sentence, and that whole sentence must
    go for the attempt to go (the cap then also drops some answer, which can only lower it)."""
    if item.attempt is None:
        return [0] * len(spans)
    a, b = item.attempt
    return [int(max(0, min(e, b) - max(s, a)) * 3 >= max(1, e - s)) for s, e in spans]


@dataclass
class Example:
    """The states and labels of one item's sentences."""

    item: AimItem
    x: Matrix  # sentences x n_embd
    y: list[int]


@dataclass
class Probe:
    w: Matrix
    offset: float

    def scores(self, x: Matrix) -> list[float]:
        return [float(v) for v in x @ self.w + self.offset]


def fit(examples: Iterable[Example], ridge: float) -> Probe:
    xs = [e.x for e in examples]
    ys = [e.y for e in examples]
    x = np.concatenate(xs).astype(np.float64)
    y = np.asarray([v for row in ys for v in row], dtype=np.float64)
    mu = x.mean(axis=0)
    sigma = x.std(axis=0) + 1e-6
    z = (x - mu) / sigma
    pos = max(1.0, float(y.sum()))
    neg = max(1.0, float(len(y) - y.sum()))
    weight = np.where(y > 0, 0.5 / pos, 0.5 / neg)  # each class carries half the loss
    target = 2.0 * y - 1.0
    zw = z * weight[:, None]
    gram = z.T @ zw + ridge * np.eye(z.shape[1])
    coef = np.linalg.solve(gram, zw.T @ target)
    bias = float(np.sum(weight * (target - z @ coef)) / np.sum(weight))
    w = coef / sigma
    return Probe(w, bias - float(np.dot(w, mu)))


def row_outcomes(examples: list[Example], scores: list[list[float]], threshold: float) -> dict[str, int]:
    """Per row: a benign answer flagged anywhere; an attempt flagged somewhere, removed whole
    (every attempt sentence over the threshold), and an answer sentence of it flagged."""
    out = {"benign": 0, "benign_flagged": 0, "attempts": 0, "attempts_flagged": 0, "attempts_removed": 0,
           "answer_sentences_flagged": 0}
    for e, s in zip(examples, scores):
        hit = [v > threshold for v in s]
        if e.item.attempt is None:
            out["benign"] += 1
            out["benign_flagged"] += any(hit)
            continue
        out["attempts"] += 1
        out["attempts_flagged"] += any(h for h, y in zip(hit, e.y) if y)
        # A row whose attempt labels no sentence (it ran into a long answer sentence) is not removed.
        out["attempts_removed"] += any(e.y) and all(h for h, y in zip(hit, e.y) if y)
        out["answer_sentences_flagged"] += sum(1 for h, y in zip(hit, e.y) if h and not y)
    return out


def lowest_threshold(examples: list[Example], scores: list[list[float]], max_benign_flags: float) -> float:
    """The lowest threshold at which at most `max_benign_flags` (a share) of benign rows have a
    sentence over it: just above the k-th highest benign row maximum."""
    tops = sorted((max(s, default=-np.inf) for e, s in zip(examples, scores) if e.item.attempt is None), reverse=True)
    allowed = int(max_benign_flags * len(tops))
    if not tops:
        return 0.0
    return float(tops[allowed]) + 1e-6 if allowed < len(tops) else float(tops[-1]) - 1e-6


def lowest_threshold_each(examples: list[Example], scores: list[list[float]], max_benign_flags: float) -> float:
    """The lowest threshold at which, for EVERY author, at most `max_benign_flags` of that
    author's benign rows have a sentence over it. Innocent answers are flagged at different rates
    by different voices (one author left out: 0 to 3 of 70 at a pooled 1 %), and a flag accuses the
    candidate, so the bar is set for the author it suits worst."""
    authors = sorted({e.item.author for e in examples})
    return max(lowest_threshold([e for e in examples if e.item.author == a],
                                [s for e, s in zip(examples, scores) if e.item.author == a], max_benign_flags)
               for a in authors)


def cross_validate(examples: list[Example], ridge: float, max_benign_flags: float,
                   max_benign_withheld: float | None = None, max_benign_rules: float | None = None) -> dict[str, Any]:
    """Leave one author out: score each author's sentences with a probe fitted on the others.
    With `max_benign_withheld`, also the lower withholding bar at which at most that share of the
    left-out benign answers have a sentence withheld (`withhold`); with `max_benign_rules`, the bar
    the rules' stretches must reach to be withheld too (`rules`, AimHead.vetted)."""
    authors = sorted({e.item.author for e in examples})
    scores: dict[str, list[float]] = {}
    for author in authors:
        probe = fit([e for e in examples if e.item.author != author], ridge)
        for e in examples:
            if e.item.author == author:
                scores[e.item.id] = probe.scores(e.x)
    ordered = [scores[e.item.id] for e in examples]
    threshold = lowest_threshold_each(examples, ordered, max_benign_flags)
    withhold = None if max_benign_withheld is None else min(threshold, lowest_threshold(examples, ordered, max_benign_withheld))
    rules = None if max_benign_rules is None else lowest_threshold(examples, ordered, max_benign_rules)
    return {"ridge": ridge, "threshold": threshold, "withhold": withhold, "rules": rules, **row_outcomes(examples, ordered, threshold),
            "by_author": {a: row_outcomes([e for e in examples if e.item.author == a],
                                          [s for e, s in zip(examples, ordered) if e.item.author == a], threshold)
                          for a in authors}}


def fold_probes(examples: list[Example], ridge: float) -> dict[str, Probe]:
    """One probe per left-out author (for measuring the whole evaluator on unseen authors)."""
    authors = sorted({e.item.author for e in examples})
    return {a: fit([e for e in examples if e.item.author != a], ridge) for a in authors}


StatesOf = Callable[[AimItem], tuple[Matrix, list[Span]]]


def examples_of(items: list[AimItem], states_of: StatesOf, window: bool = False) -> list[Example]:
    """Each item's sentences as the probe reads them (aim_head.sentence_windows), with labels."""
    out = []
    for item in items:
        x, spans = states_of(item)
        out.append(Example(item, sentence_windows(x, window), labels(item, spans)))
    return out
