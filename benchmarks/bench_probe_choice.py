"""(issue 27) Which follow-up the interviewer asks: the shipped text rules against the reader's
probe-choice head (interview/probe_head.py, policy rule R), on labelled (question, answer) cases.

- Training (training/probes/authors/, 7 independent authors): the head one author left out at a
  time (probe_fit.cross_validate, the numbers `train-probe` chose the bar on), and the rules.
- Held-out (`--heldout`: benchmarks/data/heldout/probes_*.jsonl, two more independent authors),
  read only after the design was chosen on training data, and reported as aggregates only: the
  shipped head and the rules. No row, id or per-row result is printed or written.

A case's chosen kind "fits" when its author marked it acceptable; it is a "false reason" when the
author marked it not acceptable (it asks for what the answer already gave, or does not apply).
The rules see a generic story question (expects example, own_part, impact, lesson; stories: the
bank's questions each expect a subset) and the strictest persona (every gap probed). Below the
head's bar no kind is named (`elaborate`, no stated reason): those cases are counted apart, as
`neutral`, and never as a false reason.

    python benchmarks/bench_probe_choice.py              # training only, from cached reads
    python benchmarks/bench_probe_choice.py --heldout    # once per design decision: aggregates
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

from _common import ROOT, machine

from interviewer.cli.aim import cached_source
from interviewer.cli.probe import MAX_FALSE, read_rows
from interviewer.config import load_settings
from interviewer.interview.personas import ProbingSpec
from interviewer.interview.plan import BankQuestion, load_bank
from interviewer.interview.policy import decide
from interviewer.interview.probe_fit import ProbeRow, cross_validate, load_rows, rates
from interviewer.interview.probe_head import MOVE_ON, load_probe_head
from interviewer.llm.provider import LLMRuntime

GENERIC = BankQuestion(id="generic", topic="generic", question="", expects=["example", "own_part", "impact", "lesson"],
                       stories=True)
STRICTEST = ProbingSpec(max_probes=3, tolerated_gaps=0)


def rules_choice(rows: list[ProbeRow]) -> list[str]:
    bank = load_bank()
    out = []
    for r in rows:
        d = decide(thread_text=r.answer, latest=r.answer, question=GENERIC, probing=STRICTEST, probes_done=[], bank=bank)
        out.append(d.kind if d.probe and d.kind else MOVE_ON)
    return out


def with_neutral(rows: list[ProbeRow], picks: list[str | None]) -> dict[str, Any]:
    """Rates over all cases where None is the neutral follow-up (no reason stated)."""
    named = [(r, p) for r, p in zip(rows, picks) if p is not None]
    n = max(len(rows), 1)
    return {"cases": len(rows), "named": round(len(named) / n, 3),
            "fit_of_named": rates([r for r, _ in named], [p for _, p in named])["fit"] if named else None,
            "false_of_named": rates([r for r, _ in named], [p for _, p in named])["false_reason"] if named else None,
            "false_reason_overall": round(sum(p in r.not_acceptable for r, p in named) / n, 3),
            "neutral": round(1 - len(named) / n, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--heldout", action="store_true", help="also the held-out sets, aggregates only")
    args = parser.parse_args()
    train = load_rows(ROOT / "training" / "probes" / "authors")
    heldout = load_rows(ROOT / "benchmarks" / "data" / "heldout", "probes_*.jsonl") if args.heldout else []
    head = load_probe_head()
    if head is None:
        raise SystemExit("no probe-choice head ships (make reader)")
    started = time.monotonic()
    runtime = LLMRuntime(load_settings()).start()
    try:
        source = cached_source(runtime)
        x_train = asyncio.run(read_rows(source, train, print))
        x_held = asyncio.run(read_rows(source, heldout, lambda _m: None)) if heldout else None
    finally:
        runtime.stop()
    cv = cross_validate(x_train, train, float(head.meta.get("ridge", 10.0)), MAX_FALSE)
    result: dict[str, Any] = {
        "machine": machine(), "seconds": round(time.monotonic() - started),
        "training": {"cases": len(train), "authors": len({r.author for r in train}),
                     "rules": rates(train, rules_choice(train)),
                     "head_left_out_author": cv}}
    if x_held is not None:
        readings = [head.reading(x) for x in x_held]
        best = [r.best()[0] for r in readings]
        picks: list[str | None] = [k if r.confident(k) else None for r, k in zip(readings, best)]
        result["heldout"] = {"cases": len(heldout), "authors": len({r.author for r in heldout}),
                             "rules": rates(heldout, rules_choice(heldout)),
                             "head_best_kind": rates(heldout, best),
                             "head_with_bar": with_neutral(heldout, picks)}
    out = ROOT / "benchmarks" / "probe_choice-latest.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=1))


if __name__ == "__main__":
    main()
