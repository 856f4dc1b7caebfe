"""Can the reader's states tell what an answer already gives? (issue 27, a feasibility measure on
TRAINING data only: training/probes/authors/, leave one author out; no held-out row is read.)

For each of the ten `given` elements the probe-fit authors labelled (problem, cause, how_found,
fix, prevention, result, lesson, own_actions, admitted_gap, concrete_story), a ridge classifier on
the reader's states of the answer (the token-weighted mean and the element-wise max of its
sentence means; the same read the evaluator makes, through the train-aim reply cache) is trained
on every author but one and tested on that one. Reported per element: accuracy and balanced
accuracy. Then a probe choice written from the brief's definitions of the probe kinds (not from
any row) is applied to the authors' own `given` labels (is the rule right?) and to the predicted
ones (can the reader feed it?): the share of answers whose chosen probe the author marked
acceptable ("fit") and not acceptable ("false reason").

    python benchmarks/bench_probe_given.py   # writes benchmarks/probe_given-latest.json
"""
import asyncio
import json
import time
from pathlib import Path

from _common import ROOT, machine

import numpy as np
from interviewer.config import load_settings
from interviewer.llm.provider import LLMRuntime, Role
from interviewer.cli.aim import CachedStates
from interviewer.cli.reader import cache_tag, served_model_sha
from interviewer.evaluation.reader import HttpStates, load_reader_prompt
from interviewer.evaluation.reader_head import ReadStates

ELEMENTS = ["problem", "cause", "how_found", "fix", "prevention", "result", "lesson", "own_actions",
            "admitted_gap", "concrete_story"]
RIDGES = (1.0, 10.0, 100.0)
KINDS = ["why", "how_found", "prevention", "impact", "lesson", "own_part", "example", "specifics",
         "close_gap", "move_on"]


def rows() -> list[dict]:
    out = []
    for path in sorted((ROOT / "training" / "probes" / "authors").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                row["author"] = path.stem
                out.append(row)
    return out


def choose(given: dict) -> str:
    """The probe a careful interviewer asks next, from what the answer gives, in the order the
    brief's definitions suggest: a story first, then the candidate's own part, then the incident
    chain (cause, how it was found, prevention), the result, the lesson, an admitted gap."""
    if not given["concrete_story"] and not given["problem"]:
        return "example"
    if not given["own_actions"]:
        return "own_part"
    if given["problem"] and not given["cause"]:
        return "why"
    if given["cause"] and not given["how_found"]:
        return "how_found"
    if given["problem"] and not given["prevention"]:
        return "prevention"
    if (given["fix"] or given["concrete_story"]) and not given["result"]:
        return "impact"
    if given["problem"] and not given["lesson"]:
        return "lesson"
    if given["admitted_gap"]:
        return "close_gap"
    return "move_on"


def features(states: ReadStates, with_branches: bool = False) -> np.ndarray:
    """The answer's mean and max sentence state; with the three dimension branches' last states
    (they read the question as well as the answer, so they carry what the question asks for)."""
    stacked = np.stack(states.sentence_means).astype(np.float64)
    blocks = [states.mean().astype(np.float64), stacked.max(axis=0)]
    if with_branches:
        blocks += [np.asarray(v, np.float64) for v in states.last.values()]
    return np.concatenate(blocks)


def ridge_score(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, ridge: float) -> np.ndarray:
    mu, sd = train_x.mean(axis=0), train_x.std(axis=0) + 1e-6
    a, b = (train_x - mu) / sd, (test_x - mu) / sd
    y = np.where(train_y, 1.0, -1.0)
    offset = y.mean()
    alpha = np.linalg.solve(a @ a.T + ridge * len(a) * np.eye(len(a)), y - offset)  # dual form: n << d
    return b @ (a.T @ alpha) + offset


def ridge_predict(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, ridge: float) -> np.ndarray:
    return ridge_score(train_x, train_y, test_x, ridge) > 0


def fit_rate(items: list[dict], picks: list[str]) -> dict:
    n = len(items)
    fit = sum(p in r["acceptable"] for r, p in zip(items, picks))
    false = sum(p in r["not_acceptable"] for r, p in zip(items, picks))
    return {"n": n, "fit": round(fit / n, 3), "false_reason": round(false / n, 3)}


async def read_all(runtime: LLMRuntime, items: list[dict]) -> list[ReadStates]:
    prompt = load_reader_prompt()
    source = CachedStates(HttpStates(runtime.base_url(Role.EVALUATOR) or "", 900),
                          runtime.settings.cache_dir / "reader-replies" / cache_tag(prompt.sha256, served_model_sha(runtime)))
    out = []
    for n, row in enumerate(items, 1):
        body, pooled, _ = prompt.request(row["question"], row["answer"])
        out.append(ReadStates.from_response(await source.read(body), pooled))
        if n % 20 == 0:
            print(f"read {n}/{len(items)}", flush=True)
    return out


def abstaining_choice(items: list[dict], owner: np.ndarray, x: np.ndarray, ridge: float = 10.0) -> dict:
    """Pick the kind most likely acceptable (leave one author out), but only when its score is
    at least a threshold; otherwise abstain (a neutral "tell me more" that states no reason).
    Per threshold: the share of answers given a specific kind (coverage) and, among those, the
    share the author marked acceptable (fit) and not acceptable (false reason). The threshold
    sweep is read on the same out-of-author scores, so the best row is optimistic."""
    scores = np.zeros((len(items), len(KINDS)))
    for author in sorted(set(owner)):
        test = owner == author
        for k, kind in enumerate(KINDS):
            y = np.array([kind in r["acceptable"] for r in items])
            scores[test, k] = ridge_score(x[~test], y[~test], x[test], ridge)
    best = scores.argmax(axis=1)
    top = scores.max(axis=1)
    rows = []
    for q in (0.0, 0.25, 0.5, 0.75, 0.9):
        cut = float(np.quantile(top, q))
        chosen = [i for i in range(len(items)) if top[i] >= cut]
        fit = sum(KINDS[best[i]] in items[i]["acceptable"] for i in chosen)
        false = sum(KINDS[best[i]] in items[i]["not_acceptable"] for i in chosen)
        rows.append({"threshold": round(cut, 3), "coverage": round(len(chosen) / len(items), 3),
                     "fit_of_chosen": round(fit / len(chosen), 3), "false_of_chosen": round(false / len(chosen), 3)})
    return {"ridge": ridge, "sweep": rows}


def main() -> None:
    items = rows()
    authors = sorted({r["author"] for r in items})
    started = time.monotonic()
    runtime = LLMRuntime(load_settings()).start()
    try:
        states = asyncio.run(read_all(runtime, items))
    finally:
        runtime.stop()
    read_seconds = time.monotonic() - started
    x = np.stack([features(s) for s in states])
    owner = np.array([r["author"] for r in items])
    per_ridge = {}
    for ridge in RIDGES:
        predicted = {e: np.zeros(len(items), bool) for e in ELEMENTS}
        for author in authors:
            test = owner == author
            for e in ELEMENTS:
                y = np.array([bool(r["given"][e]) for r in items])
                predicted[e][test] = ridge_predict(x[~test], y[~test], x[test], ridge)
        table = {}
        for e in ELEMENTS:
            y = np.array([bool(r["given"][e]) for r in items])
            p = predicted[e]
            pos, neg = y.sum(), (~y).sum()
            tpr = (p & y).sum() / pos if pos else float("nan")
            tnr = (~p & ~y).sum() / neg if neg else float("nan")
            table[e] = {"positives": int(pos), "accuracy": round(float((p == y).mean()), 3),
                        "balanced": round(float((tpr + tnr) / 2), 3)}
        picks = [choose({e: bool(predicted[e][i]) for e in ELEMENTS}) for i in range(len(items))]
        # Directly: per kind, "would an interviewer accept it here?", the most likely kind asked.
        scores = np.zeros((len(items), len(KINDS)))
        for author in authors:
            test = owner == author
            for k, kind in enumerate(KINDS):
                y = np.array([kind in r["acceptable"] for r in items])
                scores[test, k] = ridge_score(x[~test], y[~test], x[test], ridge)
        direct = [KINDS[int(np.argmax(scores[i]))] for i in range(len(items))]
        per_ridge[str(ridge)] = {"elements": table, "choice_on_predicted": fit_rate(items, picks),
                                 "direct_kind_choice": fit_rate(items, direct)}
    selective = {name: abstaining_choice(items, owner, np.stack([features(s, branches) for s in states]))
                 for name, branches in (("answer", False), ("answer+branches", True))}
    truth = [choose({e: bool(r["given"][e]) for e in ELEMENTS}) for r in items]
    result = {"machine": machine(), "authors": authors, "rows": len(items), "read_seconds": round(read_seconds),
              "choice_on_authors_labels": fit_rate(items, truth), "by_ridge": per_ridge,
              "abstaining_choice": selective}
    out = ROOT / "benchmarks" / "probe_given-latest.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=1))


if __name__ == "__main__":
    main()
