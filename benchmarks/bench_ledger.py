"""Claim-ledger quality without a model: the code-only extractor + `compare` on the labelled
answer pairs, precision and recall for "contradiction" per file (the issue asks for precision
>= 0.9 and recall >= 0.7). Every pair is read as two answers of one session said in 2026.

    PYTHONPATH=. python benchmarks/bench_ledger.py            # both files, one JSON object
    PYTHONPATH=. python benchmarks/bench_ledger.py --show     # and every wrong call, with its reason
    flock /tmp/model.lock env PYTHONPATH=. python benchmarks/bench_ledger.py --model --dump=out.json
        # the hybrid (interviewer/ledger/read.py: the model proposes, code verifies) on the
        # configured backend (the embedded model by default; evaluator role, temperature 0),
        # next to code-only on the same pairs, with seconds per snippet

benchmarks/data/claim_pairs.jsonl is the development set (the rules were tuned on it);
benchmarks/data/heldout/claim_pairs.jsonl was written with it, before any rule, and never tuned on.
"within_answer" is a false-alarm probe on realistic text: every claim of each of the 336 answers in
benchmarks/data/calibration_pairs.jsonl against the earlier claims of the same answer (one person,
one story, so every hit is a false alarm). It was used once to find a rule (before/after stories).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from interviewer.ledger import Claim, Source, contradictions, extract_claims  # noqa: E402

FILES = {"dev": ROOT / "benchmarks/data/claim_pairs.jsonl", "heldout": ROOT / "benchmarks/data/heldout/claim_pairs.jsonl"}
YEAR = 2026


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def code_reader(text: str, answer: int) -> list[Claim]:
    return extract_claims(text, Source(origin="answer", answer=answer, year=YEAR))


def predict(earlier: list[Claim], later: list[Claim]) -> list[str]:
    return [c.reason for c in contradictions(later, earlier)]


def score(path: Path, show: bool, claims: dict[tuple[str, str], list[Claim]] | None = None) -> dict[str, Any]:
    """P/R on one file; `claims` maps (pair id, side) to claims read elsewhere (by the hybrid),
    code-only when None."""
    tp = fp = fn = tn = 0
    wrong: list[str] = []
    for row in rows(path):
        if claims is not None and (row["id"], "earlier") not in claims:
            continue  # not read (--limit)
        old = claims[(row["id"], "earlier")] if claims is not None else code_reader(row["earlier"], 1)
        new = claims[(row["id"], "later")] if claims is not None else code_reader(row["later"], 2)
        reasons = predict(old, new)
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


PROBE = ROOT / "benchmarks/data/calibration_pairs.jsonl"


def probe_answers(limit: int | None = None) -> list[tuple[str, str]]:
    """(row id, answer) for the false-alarm probe: both answers of each calibration row."""
    return [(row["id"], row[side]) for row in rows(PROBE)[:limit] for side in ("better", "worse")]


def false_alarms(found: list[Claim]) -> list[str]:
    """Every claim against the earlier claims of the same answer (one story: every hit is false)."""
    return [hit.reason for i, claim in enumerate(found) for hit in contradictions([claim], found[:i])
            if hit.new.quote != hit.earlier.quote]


def within_answer(show: bool) -> dict[str, Any]:
    answers = claims = alarms = 0
    for row_id, answer in probe_answers():
        found = extract_claims(answer, Source(origin="answer", answer=1, year=YEAR))
        answers, claims = answers + 1, claims + len(found)
        for reason in false_alarms(found):
            alarms += 1
            if show:
                print(f"  within {row_id}: {reason}", file=sys.stderr)
    return {"answers": answers, "claims": claims, "false_alarms": alarms}


async def hybrid_probe(model: Any, limit: int, dumped: list[dict[str, Any]], show: bool) -> dict[str, Any]:
    """The false-alarm probe on the first `limit` calibration rows, hybrid next to code-only."""
    from interviewer.ledger.read import read_with_model  # noqa: PLC0415

    answers = code_claims = hybrid_claims = code_alarms = hybrid_alarms = added = 0
    seconds: list[float] = []
    for row_id, answer in probe_answers(limit):
        source = Source(origin="answer", answer=1, year=YEAR)
        t0 = time.perf_counter()
        reading = await read_with_model(answer, source, model)
        seconds.append(time.perf_counter() - t0)
        code = extract_claims(answer, source)
        answers, code_claims, hybrid_claims = answers + 1, code_claims + len(code), hybrid_claims + len(reading.claims)
        added += len(reading.claims) - len(code)
        code_alarms += len(false_alarms(code))
        alarms = false_alarms(reading.claims)
        hybrid_alarms += len(alarms)
        if show:
            for reason in alarms:
                print(f"  within {row_id} (hybrid): {reason}", file=sys.stderr)
        dumped.append({"file": "probe", "id": row_id, "text": answer, "seconds": round(seconds[-1], 2), "error": reading.error,
                       "proposals": [{**v.proposal.model_dump(), "outcome": v.outcome} for v in reading.verdicts],
                       "added": [c.model_dump(exclude_defaults=True, exclude={"source", "topic"})
                                 for v in reading.verdicts for c in v.claims]})
        print(f"probe {row_id}: {seconds[-1]:.1f} s", file=sys.stderr, flush=True)
    return {"answers": answers, "code_only": {"claims": code_claims, "false_alarms": code_alarms},
            "hybrid": {"claims": hybrid_claims, "added_by_model": added, "false_alarms": hybrid_alarms},
            "seconds_per_answer": {"mean": round(statistics.mean(seconds), 2), "median": round(statistics.median(seconds), 2),
                                   "max": round(max(seconds), 2)} if seconds else None}


async def hybrid(names: list[str], limit: int | None, dump: Path | None, show: bool, probe: int = 0) -> dict[str, Any]:
    """Read every snippet of the chosen files with the hybrid on the configured model."""
    from collections import Counter  # noqa: PLC0415

    from interviewer.cli.runtime import settings_or_exit, start_runtime  # noqa: PLC0415
    from interviewer.ledger.read import read_with_model  # noqa: PLC0415
    from interviewer.llm.provider import Role  # noqa: PLC0415

    runtime = start_runtime(settings_or_exit())
    results: dict[str, Any] = {"model": runtime.describe()}
    dumped: list[dict[str, Any]] = []
    try:
        model = runtime.chat_model(Role.EVALUATOR, temperature=0, max_tokens=MAX_TOKENS)
        for name in names:
            claims: dict[tuple[str, str], list[Claim]] = {}
            seconds: list[float] = []
            outcomes: Counter[str] = Counter()
            errors: list[str] = []
            for row in rows(FILES[name])[:limit]:
                for answer, side in enumerate(("earlier", "later"), start=1):
                    t0 = time.perf_counter()
                    reading = await read_with_model(row[side], Source(origin="answer", answer=answer, year=YEAR), model)
                    seconds.append(time.perf_counter() - t0)
                    claims[(row["id"], side)] = reading.claims
                    outcomes.update(v.outcome for v in reading.verdicts)
                    if reading.error:
                        errors.append(f"{row['id']}/{side}: {reading.error}")
                    dumped.append({"file": name, "id": row["id"], "side": side, "text": row[side],
                                   "seconds": round(seconds[-1], 2), "error": reading.error,
                                   "proposals": [{**v.proposal.model_dump(), "outcome": v.outcome} for v in reading.verdicts],
                                   "added": [c.model_dump(exclude_defaults=True, exclude={"source", "topic"})
                                             for v in reading.verdicts for c in v.claims]})
                print(f"{name} {row['id']}: {seconds[-2]:.1f} s + {seconds[-1]:.1f} s", file=sys.stderr, flush=True)
            code = {(r["id"], side): code_reader(r[side], answer) for r in rows(FILES[name])[:limit]
                    for answer, side in enumerate(("earlier", "later"), start=1)}
            results[name] = {"code_only": score(FILES[name], False, code),
                             "hybrid": score(FILES[name], show, claims),
                             "snippets": len(seconds),
                             "seconds_per_snippet": {"mean": round(statistics.mean(seconds), 2),
                                                     "median": round(statistics.median(seconds), 2),
                                                     "max": round(max(seconds), 2)},
                             "proposals": dict(outcomes), "model_failures": len(errors), "failure_examples": errors[:5]}
        if probe:
            results["within_answer"] = await hybrid_probe(model, probe, dumped, show)
    finally:
        runtime.stop()
        if dump:
            dump.write_text(json.dumps(dumped, indent=1), encoding="utf-8")
    return results


def replay(dump: Path, show: bool) -> dict[str, Any]:
    """The hybrid again from a --dump, with today's code and the proposals the model made then:
    for working on the code's half without asking the model again. Not a new measurement."""
    from interviewer.ledger.adopt import adopt, merge  # noqa: PLC0415
    from interviewer.ledger.propose import Proposal  # noqa: PLC0415

    entries = json.loads(dump.read_text(encoding="utf-8"))
    results: dict[str, Any] = {"replayed": str(dump)}
    for name in dict.fromkeys(e["file"] for e in entries if e["file"] in FILES):
        claims: dict[tuple[str, str], list[Claim]] = {}
        code: dict[tuple[str, str], list[Claim]] = {}
        for e in (e for e in entries if e["file"] == name):
            source = Source(origin="answer", answer=1 if e["side"] == "earlier" else 2, year=YEAR)
            key = (e["id"], e["side"])
            code[key] = extract_claims(e["text"], source)
            proposals = [Proposal.model_validate(p) for p in e["proposals"]]
            verdicts = adopt(proposals, e["text"], source, code[key])
            claims[key] = merge(code[key], [c for v in verdicts for c in v.claims])
        results[name] = {"code_only": score(FILES[name], False, code), "hybrid": score(FILES[name], show, claims)}
    return results


# Room for eight short proposals; a reply cut here is unreadable JSON, and the code-only claims stand.
MAX_TOKENS = 400


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="list every wrong call on stderr")
    parser.add_argument("--model", action="store_true", help="also run the hybrid on the configured model")
    parser.add_argument("--files", default="dev,heldout", help="with --model: which files (dev, heldout or both)")
    parser.add_argument("--limit", type=int, default=None, help="with --model: only the first N pairs of each file")
    parser.add_argument("--dump", type=Path, default=None, help="with --model: write every proposal and its fate here")
    parser.add_argument("--probe", type=int, default=0, help="with --model: also the false-alarm probe on the first N calibration rows")
    parser.add_argument("--replay", type=Path, default=None, help="re-run code's half on the proposals of a --dump")
    args = parser.parse_args()
    from _common import machine  # noqa: PLC0415 (benchmarks/ is on the path when run as a script)

    if args.replay:
        print(json.dumps(replay(args.replay, args.show), indent=2))
        return

    if args.model:
        names = [n for n in args.files.split(",") if n]
        report = asyncio.run(hybrid(names, args.limit, args.dump, args.show, args.probe))
        print(json.dumps({"benchmark": "ledger-hybrid", "machine": machine(), **report}, indent=2))
        return
    print(json.dumps({"benchmark": "ledger", "machine": machine(),
                      **{name: score(path, args.show) for name, path in FILES.items()},
                      "within_answer": within_answer(args.show)}, indent=2))


if __name__ == "__main__":
    main()
