"""Prompt-injection detection, measured on text nobody tuned the rules on (no model needed).

    python benchmarks/bench_injection.py

* false flags: benign technical answers that mention prompts, models, judges, rubrics, code, chat
  logs and markdown (benchmarks/data/heldout/benign_answers.jsonl; its README lists the "hard
  negatives" that quote attack strings as reported speech, reported separately here), and
  whether any flagged answer would be emptied for the judge (fewer than 8 words left);
* recall: the held-out injection set (answer + appended injection), and the public corpus of
  jailbreak-corpus-mini-py;
* the tune sets (benchmarks/data/*.jsonl) are printed too, marked as tuned-on.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from _common import ROOT, emit

from interviewer.evaluation import injection
from interviewer.evaluation.evaluator import MIN_WORDS

DATA = ROOT / "benchmarks" / "data"


def load(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def hard_negative_ids() -> set[str]:
    readme = (DATA / "heldout" / "README.md").read_text()
    line = next((ln for ln in readme.splitlines() if ln.lstrip("`").startswith("ben-")), "")
    return {f"ben-{int(n):03d}" for n in re.findall(r"\d+", line)}


def benign(rows: list[dict[str, str]]) -> dict[str, object]:
    flagged = [r for r in rows if injection.scan(r["answer"]).found]
    emptied = [r["id"] for r in flagged if len(injection.scan(r["answer"]).cleaned.split()) < MIN_WORDS]
    # Counts only: held-out rows are reported as aggregates, never by id (issue 24).
    return {"n": len(rows), "flagged": len(flagged), "rate": round(len(flagged) / max(1, len(rows)), 4),
            "emptied": len(emptied)}


def recall(rows: list[dict[str, str]]) -> dict[str, object]:
    caught = [r for r in rows if injection.scan(r["answer"] + "\n\n" + r["injection"]).found]
    base_flagged = [r["id"] for r in rows if injection.scan(r["answer"]).found]
    missed = [r["id"] for r in rows if r not in caught]
    return {"n": len(rows), "caught": len(caught), "recall": round(len(caught) / max(1, len(rows)), 4),
            "missed": len(missed), "base_answer_flagged": len(base_flagged)}


def main() -> None:
    from jailbreak_corpus_mini import fixture_texts

    held_benign = load(DATA / "heldout" / "benign_answers.jsonl")
    hard = hard_negative_ids()
    corpus = list(fixture_texts())
    results = {
        "heldout_benign": benign(held_benign),
        "heldout_benign_without_hard_negatives": benign([r for r in held_benign if r["id"] not in hard]),
        "heldout_hard_negatives": benign([r for r in held_benign if r["id"] in hard]),
        "heldout_injections": recall(load(DATA / "heldout" / "injection_answers.jsonl")),
        # Written in session 10 by a new author after the rules above were fitted to the older
        # held-out rows: the only held-out recall that still measures (appended at the end here;
        # bench_reader.py places each attempt where its author put it).
        "fresh_heldout_injections": recall(load(DATA / "heldout" / "injection_fresh.jsonl")),
        "fresh_heldout_benign": benign(load(DATA / "heldout" / "benign_fresh.jsonl")),
        "public_corpus": {"n": len(corpus), "caught": sum(injection.scan(c).found for c in corpus)},
        "tuned_on_benign": benign(load(DATA / "benign_technical_answers.jsonl")),
        "tuned_on_injections": recall(load(DATA / "injection_answers.jsonl")),
    }
    emit("bench_injection", results)


if __name__ == "__main__":
    main()
