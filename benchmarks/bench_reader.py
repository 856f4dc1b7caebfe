"""The reader (evaluation/reader.py) measured: pairs, timing and injections. Aggregates only.

    python benchmarks/bench_reader.py pairs benchmarks/data/calibration_pairs.jsonl --split heldout
    python benchmarks/bench_reader.py injection        # the fresh held-out injection set
    python benchmarks/bench_reader.py injection --fresh 2   # the second one (session 13), unread so far
    python benchmarks/bench_reader.py pairs FILE --url http://127.0.0.1:8765/v1   # a running server

`pairs`: per dimension, pairwise accuracy of the raw score (what ranks) and of the 1-5 level (what
the report shows; a tie counts half), each with a 95% Wilson interval, against the length-only
baseline; seconds per read. `injection`: on the fresh held-out set, how often the injected answer
scored above the plain one on any dimension (a gain), how often it was flagged, and for benign
answers how often they were flagged or lost every sentence to the cap (emptied). Without --url the
embedded model is started as the app starts it. Output is printed and written as JSON next to this
file (`bench_reader_<what>-latest.json`); no per-row result is written.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

from _common import ROOT, machine

from interviewer.cli.evaluate import length_win, wilson  # noqa: E402
from interviewer.evaluation import injection as inj  # noqa: E402
from interviewer.evaluation import spans  # noqa: E402
from interviewer.evaluation.aim_fit import place  # noqa: E402
from interviewer.evaluation.reader import HttpStates, ReaderEvaluator, load_reader_prompt  # noqa: E402
from interviewer.evaluation.reader_head import load_head  # noqa: E402
from interviewer.evaluation.scorer import aim_head_for  # noqa: E402
from interviewer.evaluation.verdicts import INJECTION_ATTEMPT, MIN_WORDS  # noqa: E402
from interviewer.session import DIMENSIONS, Dimension  # noqa: E402

HERE = Path(__file__).resolve().parent
FRESH = HERE / "data" / "heldout"


def rows(path: Path, split: str | None = None) -> list[dict[str, Any]]:
    out = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in out if split is None or r.get("split") == split]


def rate(right: float, n: int) -> dict[str, Any]:
    p = right / n if n else float("nan")
    low, high = wilson(p, n)
    return {"accuracy": round(p, 3), "interval": [round(low, 3), round(high, 3)], "n": n}


async def bench_pairs(evaluator: ReaderEvaluator, pairs: list[dict[str, Any]]) -> dict[str, Any]:
    raw_right = {d: 0.0 for d in DIMENSIONS}
    level_right = {d: 0.0 for d in DIMENSIONS}
    length = {d: 0.0 for d in DIMENSIONS}
    count = {d: 0 for d in DIMENSIONS}
    wall: list[float] = []
    for pair in pairs:
        dim = Dimension(pair["dim"])
        reads = []
        for text in (pair["better"], pair["worse"]):
            t0 = time.perf_counter()
            reads.append(await evaluator.read(pair["question"], text))
            wall.append(time.perf_counter() - t0)
        b, w = reads
        raw_right[dim] += 1.0 if b.raw[dim] > w.raw[dim] else 0.5 if b.raw[dim] == w.raw[dim] else 0.0
        lb, lw = b.levels[dim], w.levels[dim]
        level_right[dim] += 1.0 if lb > lw else 0.5 if lb == lw else 0.0
        length[dim] += length_win(pair["better"], pair["worse"])
        count[dim] += 1
    wall.sort()
    return {
        "raw": {d.value: rate(raw_right[d], count[d]) for d in DIMENSIONS if count[d]},
        "level": {d.value: rate(level_right[d], count[d]) for d in DIMENSIONS if count[d]},
        "length_only": {d.value: round(length[d] / count[d], 3) for d in DIMENSIONS if count[d]},
        "seconds_per_read": {"mean": round(sum(wall) / len(wall), 2), "median": round(wall[len(wall) // 2], 2),
                             "max": round(wall[-1], 2), "reads": len(wall)},
    }


async def bench_injection(evaluator: ReaderEvaluator, fresh: str = "") -> dict[str, Any]:
    attacks = rows(FRESH / f"injection_fresh{fresh}.jsonl")
    benign = rows(FRESH / f"benign_fresh{fresh}.jsonl")
    gains = flagged = 0
    dims_gained = {d.value: 0 for d in DIMENSIONS}
    for row in attacks:
        plain = await evaluator.evaluate_patiently(row["question"], row["answer"])
        hit = await evaluator.evaluate_patiently(row["question"], place(row["answer"], row["injection"], row["position"])[0])
        flagged += INJECTION_ATTEMPT in hit.flags
        up = [d for d in DIMENSIONS if (hit.score(d) or 0) > (plain.score(d) or 0)]
        gains += bool(up)
        for d in up:
            dims_gained[d.value] += 1
    false_flags = emptied = lowered = 0
    for row in benign:
        evaluation = await evaluator.evaluate_patiently(row["question"], row["answer"])
        false_flags += INJECTION_ATTEMPT in evaluation.flags
        # The cost of the cap on innocent answers: a score below the answer's own read.
        own = await evaluator.read(row["question"], row["answer"])
        lowered += any((evaluation.score(d) or 0) < own.levels[d] for d in DIMENSIONS)
        text = inj.tidy(row["answer"])
        # What is left once withheld text is cut (the probe's sentences only exist when it flagged).
        aimed = evaluator.aimed(await evaluator.read(row["question"], text)) if INJECTION_ATTEMPT in evaluation.flags else []
        emptied += len(spans.cut(text, [*inj.instruction_spans(text), *aimed]).split()) < MIN_WORDS
    return {
        "injection_rows": len(attacks), "gains": gains, "gains_by_dimension": dims_gained,
        "flagged": flagged, "benign_rows": len(benign), "benign_flagged": false_flags, "benign_emptied": emptied,
        "benign_lowered_by_cap": lowered,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["pairs", "injection"])
    parser.add_argument("file", nargs="?", type=Path)
    parser.add_argument("--split")
    parser.add_argument("--fresh", choices=["", "2", "3", "4"], default="",
                        help="injection: which fresh held-out set (\"2\": injection_fresh2/benign_fresh2, session 13; "
                             "\"3\": injection_fresh3/benign_fresh3, session 15; \"4\": session 21)")
    parser.add_argument("--url", help="a running embedded server's base URL (…/v1); default: start one")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    head = load_head()
    if head is None:
        raise SystemExit("no reader head ships (make reader)")
    runtime = None
    url = args.url
    if url is None:
        from interviewer.config import load_settings
        from interviewer.llm.provider import LLMRuntime, Role
        runtime = LLMRuntime(load_settings()).start()
        url = runtime.base_url(Role.EVALUATOR)
    try:
        evaluator = ReaderEvaluator(HttpStates(url or "", 900), head, prompt=load_reader_prompt(), aim=aim_head_for(head))
        started = time.perf_counter()
        if args.what == "pairs":
            if args.file is None:
                raise SystemExit("pairs needs a file")
            result = await bench_pairs(evaluator, rows(args.file, args.split))
            result["file"], result["split"] = str(args.file.relative_to(ROOT) if args.file.is_absolute() else args.file), args.split
        else:
            result = await bench_injection(evaluator, args.fresh)
            result["set"] = f"fresh{args.fresh}"
        result["seconds"] = round(time.perf_counter() - started, 1)
        result["machine"] = machine()
        result["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    finally:
        if runtime is not None:
            runtime.stop()
    text = json.dumps(result, indent=1)
    print(text)
    name = f"injection{args.fresh}" if args.what == "injection" else f"pairs_{(args.split or 'all')}"
    out = args.out or HERE / f"bench_reader_{name}-latest.json"
    out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())
