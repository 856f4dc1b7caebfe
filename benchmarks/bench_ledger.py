"""Claim-ledger quality without a model: the code-only extractor + `compare` on the labelled
answer pairs, precision and recall for "contradiction" per file (the issue asks for precision
>= 0.9 and recall >= 0.7). Every pair is read as two answers of one session said in 2026.

    PYTHONPATH=. python benchmarks/bench_ledger.py            # both files, one JSON object
    PYTHONPATH=. python benchmarks/bench_ledger.py --show     # and every wrong call, with its reason

benchmarks/data/claim_pairs.jsonl is the development set (the rules were tuned on it);
benchmarks/data/heldout/claim_pairs.jsonl was written with it, before any rule, and never tuned on.
"within_answer" is a false-alarm probe on realistic text: every claim of each of the 336 answers in
benchmarks/data/calibration_pairs.jsonl against the earlier claims of the same answer (one person,
one story, so every hit is a false alarm). It was used once to find a rule (before/after stories).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from interviewer.ledger import Source, contradictions, extract_claims  # noqa: E402

FILES = {"dev": ROOT / "benchmarks/data/claim_pairs.jsonl", "heldout": ROOT / "benchmarks/data/heldout/claim_pairs.jsonl"}
YEAR = 2026


def predict(earlier: str, later: str) -> list[str]:
    old = extract_claims(earlier, Source(origin="answer", answer=1, year=YEAR))
    new = extract_claims(later, Source(origin="answer", answer=2, year=YEAR))
    return [c.reason for c in contradictions(new, old)]


def score(path: Path, show: bool) -> dict[str, Any]:
    tp = fp = fn = tn = 0
    wrong: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        reasons = predict(row["earlier"], row["later"])
        said, truth = bool(reasons), row["label"] == "contradiction"
        tp += said and truth
        fp += said and not truth
        fn += truth and not said
        tn += not said and not truth
        if said != truth:
            wrong.append(f"{row['id']} ({'false alarm' if said else 'missed'}): {row['note']} {reasons}")
    if show:
        print("\n".join(f"  {path.parent.name}/{path.name}: {w}" for w in wrong), file=sys.stderr)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {"pairs": tp + fp + fn + tn, "contradictions": tp + fn, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": round(precision, 3), "recall": round(recall, 3)}


def within_answer(show: bool) -> dict[str, Any]:
    path = ROOT / "benchmarks/data/calibration_pairs.jsonl"
    answers = claims = alarms = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for answer in (row["better"], row["worse"]):
            found = extract_claims(answer, Source(origin="answer", answer=1, year=YEAR))
            answers, claims = answers + 1, claims + len(found)
            for i, claim in enumerate(found):
                for hit in contradictions([claim], found[:i]):
                    if hit.new.quote != hit.earlier.quote:
                        alarms += 1
                        if show:
                            print(f"  within {row['id']}: {hit.reason}", file=sys.stderr)
    return {"answers": answers, "claims": claims, "false_alarms": alarms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="list every wrong call on stderr")
    args = parser.parse_args()
    from _common import machine  # noqa: PLC0415 (benchmarks/ is on the path when run as a script)

    print(json.dumps({"benchmark": "ledger", "machine": machine(),
                      **{name: score(path, args.show) for name, path in FILES.items()},
                      "within_answer": within_answer(args.show)}, indent=2))


if __name__ == "__main__":
    main()
