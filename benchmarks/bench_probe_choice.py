"""(issue 27) Which follow-up the interviewer asks: the shipped text rules against the reader's
probe-choice head (interview/probe_head.py, policy rule R), on labelled (question, answer) cases.

- Training (training/probes/authors/, independent authors): the head one author left out at a
  time (probe_fit.cross_validate, the numbers `train-probe` chose the bar on), and the rules.
- Held-out (`--heldout`: benchmarks/data/heldout/probes_*.jsonl, more independent authors: lena and
  marco, single answers; gil, follow-on pairs, `probes_chain_gil.jsonl`, reported apart too),
  read only after the design was chosen on training data, and reported as aggregates only: the
  shipped head and the rules. No row, id or per-row result is printed or written.

A case's chosen kind "fits" when its author marked it acceptable; it is a "false reason" when the
author marked it not acceptable (it asks for what the answer already gave, or does not apply).
The rules see a generic story question (expects example, own_part, impact, lesson; stories: the
bank's questions each expect a subset) and the strictest persona (every gap probed). The head's
choices are the policy's (KindReading.choice, see `with_policy`): a kind named above the bar,
moving on whenever that is the best kind (no reason stated: a wrong one is a missed follow-up,
counted apart), else the neutral `elaborate` (no reason stated, never a false reason; its
acceptance is measured where the authors labelled it).

- Retold stories (session 17): an earlier answer, then an answer to an UNRELATED main question that
  tells the same story in half the cases (`same_story`) and another in the rest; training author
  hugo and jonas (training/probes/authors_retold/, not in the head's training) and, with `--heldout`, iris
  (`probes_retold_iris.jsonl`). Each later answer read alone, and as the interviewer reads it: after
  the earlier answer when they share SAME_STORY_WORDS content words (reading.same_story).

    python benchmarks/bench_probe_choice.py              # training only, from cached reads
    python benchmarks/bench_probe_choice.py --heldout    # once per design decision: aggregates
    python benchmarks/bench_probe_choice.py --rules-only # the text rules alone, no model (seconds)

- The text rules, which choose without a reader (a remote backend) or stand in for a reading that
  came late (policy rule L, session 18; for remote backends too since session 20): they name only
  close_gap and example, and otherwise ask the neutral follow-up (`rules`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from _common import ROOT, machine

from interviewer.cli.aim import cached_source
from interviewer.cli.probe import MAX_FALSE, read_rows
from interviewer.config import load_settings
from interviewer.interview.personas import ProbingSpec
from interviewer.interview.plan import BankQuestion, load_bank
from interviewer.interview.policy import NEUTRAL, decide
from interviewer.interview.probe_fit import ProbeRow, held_out_scores, load_rows, rates, reason_false, summarise
from interviewer.interview.probe_head import KINDS, MOVE_ON, NOT_READ, KindReading, load_probe_head
from interviewer.llm.provider import LLMRuntime

GENERIC = BankQuestion(id="generic", topic="generic", question="", expects=["example", "own_part", "impact", "lesson"],
                       stories=True)
STRICTEST = ProbingSpec(max_probes=3, tolerated_gaps=0)


def rules_choice(rows: list[ProbeRow], reading: KindReading | None = None) -> list[str]:
    """The text rules' follow-up per case (policy rule L): on a backend without a reader
    (`reading` None), or standing in for a reading that came late (NOT_READ), the same choice."""
    bank = load_bank()
    out = []
    for r in rows:
        d = decide(thread_text=r.answer, latest=r.answer, question=GENERIC, probing=STRICTEST, probes_done=[],
                   bank=bank, reading=reading)
        out.append(d.kind if d.probe and d.kind else MOVE_ON)
    return out


def with_policy(rows: list[ProbeRow], readings: list[KindReading]) -> dict[str, Any]:
    """What the interviewer does with each reading (KindReading.choice, as policy rule R), over
    all cases: a kind named (its reason stated), moving on, or the neutral follow-up (None).
    `false_reason_overall`: a named kind the author marked wrong (already given, or not what the
    question calls for), over all cases; `reason_contradicted_overall`: the kind's recorded reason
    is false by the author's own `given` labels (probe_fit.reason_false: the issue's "every
    recorded reason is true"); `missed_overall`: moved on where the author wanted a follow-up (no reason stated,
    a missed follow-up); `neutral_accepted`: of the neutral cases whose author also labelled the
    neutral follow-up (session 16 on), the share that marked it acceptable."""
    return policy_rates(rows, [r.choice() for r in readings])


def policy_rates(rows: list[ProbeRow], picks: list[str | None]) -> dict[str, Any]:
    """`with_policy`'s measures for each case's choice: a kind, MOVE_ON, or None (the neutral)."""
    n = max(len(rows), 1)
    named = [(r, p) for r, p in zip(rows, picks) if p is not None and p != MOVE_ON]
    moved = [r for r, p in zip(rows, picks) if p == MOVE_ON]
    neutral = [r for r, p in zip(rows, picks) if p is None]
    labelled = [r for r in neutral if NEUTRAL in r.acceptable | r.not_acceptable]
    return {"cases": len(rows), "named": round(len(named) / n, 3),
            "fit_of_named": rates([r for r, _ in named], [p for _, p in named])["fit"] if named else None,
            "false_reason_overall": round(sum(p in r.not_acceptable for r, p in named) / n, 3),
            "reason_contradicted_overall": round(sum(reason_false(p, r) for r, p in named) / n, 3),
            "moved_on": round(len(moved) / n, 3),
            "missed_overall": round(sum(MOVE_ON in r.not_acceptable for r in moved) / n, 3),
            "neutral": round(len(neutral) / n, 3),
            "neutral_accepted": (f"{sum(NEUTRAL in r.acceptable for r in labelled)}/{len(labelled)}"
                                 if labelled else None)}


def rules_policy(rows: list[ProbeRow], reading: KindReading | None = None) -> dict[str, Any]:
    """`rules_choice` measured as `with_policy` (its neutral follow-up counted as the neutral)."""
    return policy_rates(rows, [None if p == NEUTRAL else p for p in rules_choice(rows, reading)])


def with_policy_where(rows: list[ProbeRow], readings: list[KindReading], keep: Callable[[ProbeRow], bool]) -> dict[str, Any]:
    """`with_policy` over the cases `keep` selects (follow-on pairs, single answers)."""
    kept = [(r, g) for r, g in zip(rows, readings) if keep(r)]
    return with_policy([r for r, _ in kept], [g for _, g in kept])


def retold_rows(path: Path) -> tuple[list[ProbeRow], list[ProbeRow], list[bool], list[bool]]:
    """A retold-story file: (each later answer alone, each as the interviewer reads it, the
    author's same_story, whether the interviewer joins the two answers)."""
    gated = load_rows(path.parent, path.name)
    raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    alone = [replace(g, answer=r["answer"], follows_on=False) for g, r in zip(gated, raw, strict=True)]
    return alone, gated, [bool(r["same_story"]) for r in raw], [g.follows_on for g in gated]


async def retold_result(source: Any, head: Any, path: Path) -> dict[str, Any]:
    alone, gated, same, joined = retold_rows(path)
    read_alone = [head.reading(x) for x in await read_rows(source, alone, lambda _m: None)]
    read_gated = [head.reading(x) for x in await read_rows(source, gated, lambda _m: None)]
    out: dict[str, Any] = {"cases": len(alone), "same_story": sum(same),
                           "gate": {"same_found": sum(j and s for j, s in zip(joined, same)),
                                    "different_joined": sum(j and not s for j, s in zip(joined, same))}}
    for name, keep in (("same_story", True), ("different_story", False)):
        idx = [i for i, s in enumerate(same) if s is keep]
        out[name] = {"alone": with_policy([alone[i] for i in idx], [read_alone[i] for i in idx]),
                     "as_read": with_policy([gated[i] for i in idx], [read_gated[i] for i in idx])}
    return out


def write_rules_only(train: list[ProbeRow], heldout: list[ProbeRow]) -> None:
    """The rules (rule L), without a reader and standing in for a late reading: the same choice."""
    result: dict[str, Any] = {"machine": machine()}
    for name, rows in (("training", train), ("heldout", heldout)):
        if rows:
            result[name] = {"cases": len(rows), "authors": len({r.author for r in rows}),
                            "rules": rules_policy(rows)}
            assert rules_policy(rows, NOT_READ) == result[name]["rules"]
    out = ROOT / "benchmarks" / "probe_choice_rules-latest.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=1))


def readings_of(scores: Any, bar: float) -> list[KindReading]:
    return [KindReading({k: float(v) for k, v in zip(KINDS, row)}, bar) for row in scores]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--heldout", action="store_true", help="also the held-out sets, aggregates only")
    parser.add_argument("--rules-only", action="store_true",
                        help="only the text rules, no model (probe_choice_rules-latest.json)")
    args = parser.parse_args()
    train = load_rows(ROOT / "training" / "probes" / "authors")
    heldout = [r for r in load_rows(ROOT / "benchmarks" / "data" / "heldout", "probes_*.jsonl")
               if not r.author.startswith("probes_retold")] if args.heldout else []
    if args.rules_only:
        write_rules_only(train, heldout)
        return
    retold_files = sorted((ROOT / "training" / "probes" / "authors_retold").glob("*.jsonl"))
    retold_held = sorted((ROOT / "benchmarks" / "data" / "heldout").glob("probes_retold_*.jsonl")) if args.heldout else []
    head = load_probe_head()
    if head is None:
        raise SystemExit("no probe-choice head ships (make reader)")
    started = time.monotonic()
    runtime = LLMRuntime(load_settings()).start()
    try:
        source = cached_source(runtime)
        x_train = asyncio.run(read_rows(source, train, print))
        x_held = asyncio.run(read_rows(source, heldout, lambda _m: None)) if heldout else None
        retold = {p.stem: asyncio.run(retold_result(source, head, p)) for p in retold_files}
        retold_heldout = {"retold": asyncio.run(retold_result(source, head, p)) for p in retold_held}
    finally:
        runtime.stop()
    strength = float(head.meta.get("ridge", 10.0))
    scores = held_out_scores(x_train, train, strength)
    cv = summarise(scores, train, strength, MAX_FALSE)
    train_readings = readings_of(scores, cv["bar"])
    result: dict[str, Any] = {
        "machine": machine(), "seconds": round(time.monotonic() - started),
        "training": {"cases": len(train), "authors": len({r.author for r in train}),
                     "rules": rules_policy(train),
                     "head_left_out_author": cv,
                     "policy_left_out_author": with_policy(train, train_readings),
                     "policy_left_out_author_follow_on": with_policy_where(train, train_readings,
                                                                           lambda r: r.follows_on)},
        "training_retold": retold}
    if x_held is not None:
        readings = [head.reading(x) for x in x_held]
        result["heldout"] = {"cases": len(heldout), "authors": len({r.author for r in heldout}),
                             "rules": rules_policy(heldout),
                             "head_best_kind": rates(heldout, [r.best()[0] for r in readings]),
                             "policy": with_policy(heldout, readings)}
        if any(r.follows_on for r in heldout):  # follow-on pairs (probes_chain_*.jsonl), apart
            result["heldout"]["policy_follow_on"] = with_policy_where(heldout, readings, lambda r: r.follows_on)
            result["heldout"]["policy_single_answers"] = with_policy_where(heldout, readings,
                                                                           lambda r: not r.follows_on)
    if retold_heldout:  # aggregates only, named by what it is, not by its author
        result["heldout_retold"] = retold_heldout["retold"]
    out = ROOT / "benchmarks" / "probe_choice-latest.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=1))


if __name__ == "__main__":
    main()
