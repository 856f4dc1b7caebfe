"""Which way of combining the model's yes/no checks with code signals ranks answers best?

Runs the evaluator's ONE structured model call per answer on pair files, then rescores the same
judgements under every CombineMode (signal, model, average, either, both), so the comparison is
exact and costs one model call per answer. With INTERVIEWER_EVALUATOR_LOGPROBS=1 the modes weigh
each met check by the model's confidence, and the row "sampled" scores the same replies with every
met check counted as 1 (the default scoring); without it the two rows are equal. Also reports
seconds per model call.

    python benchmarks/bench_evaluator.py benchmarks/data/calibration_pairs.jsonl --split=tune --dump=out.json

Uses the configured backend (the embedded model by default). Results: benchmarks/evaluator.md.
"""

from __future__ import annotations

import asyncio
import json
import platform
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from interviewer.cli.runtime import settings_or_exit, start_runtime
from interviewer.evaluation.evaluator import AnswerEvaluator, Judgement
from interviewer.llm.provider import Role
from interviewer.evaluation.rubric import CombineMode
from interviewer.session import Dimension


def _rank(v: int | None) -> int:
    return 0 if v is None else v


def sampled(judgement: Judgement) -> Judgement:
    """The same judgement without the model's confidence: each met check counts 1."""
    return replace(judgement, reading=replace(judgement.reading, confidence={}),
                   caps=tuple(replace(cap, confidence={}) for cap in judgement.caps))


async def main(paths: list[Path], split: str | None, dump_path: Path | None = None) -> None:
    pairs = [json.loads(line) for p in paths for line in p.read_text().splitlines() if line.strip()]
    pairs = [p for p in pairs if split is None or p.get("split") == split]
    runtime = start_runtime(settings_or_exit())
    try:
        model = runtime.chat_model(Role.EVALUATOR, temperature=0, max_tokens=400)
        evaluator = AnswerEvaluator(model, top_logprobs=runtime.evaluator_top_logprobs)
        acc: dict[CombineMode, dict[str, list[float]]] = {m: defaultdict(list) for m in CombineMode}
        acc_sampled: dict[str, list[float]] = defaultdict(list)
        times: list[float] = []
        dump: list[dict[str, object]] = []
        check_agreement: dict[str, list[bool]] = defaultdict(list)
        for pair in pairs:
            dim = Dimension(pair["dim"])
            judged = []
            for side in ("better", "worse"):
                t0 = time.perf_counter()
                judgement = await evaluator.judge(pair["question"], pair[side])
                if judgement.attempts:
                    times.append(time.perf_counter() - t0)
                judged.append((judgement, pair[side]))
                if "--verbose" in sys.argv:
                    shown = {k: v for k, v in judgement.reading.cited.items() if v}
                    print(f"  {side}: {time.perf_counter() - t0:.1f} s {shown}", flush=True)
                dump.append({"id": pair.get("id"), "dim": dim.value, "side": side, "checks": judgement.checks, "cited": judgement.reading.cited,
                             "confidence": {k: round(v, 4) for k, v in judgement.reading.confidence.items()},
                             "capped": [cap.checks for cap in judgement.caps], "capped_strength": [cap.strength for cap in judgement.caps],
                             "seconds": round(time.perf_counter() - t0, 2),
                             "signals": {n: judgement.signals.hit(n) for n in judgement.signals.hits}})
            for mode in CombineMode:
                b, w = (_rank(evaluator.build(j, a, mode).score(dim)) for j, a in judged)
                acc[mode][dim.value].append(1.0 if b > w else 0.5 if b == w else 0.0)
            b, w = (_rank(evaluator.build(sampled(j), a).score(dim)) for j, a in judged)
            acc_sampled[dim.value].append(1.0 if b > w else 0.5 if b == w else 0.0)
            # How often does the model's check agree with the code signal of the same criterion?
            for j, _ in judged:
                for crit in evaluator.rubric.dimension(dim).criteria:
                    if crit.check and crit.signal:
                        check_agreement[crit.check].append(j.checks[crit.check] == j.signals.hit(crit.signal))
            print(pair.get("id"), {m.value: acc[m][dim.value][-1] for m in CombineMode}, flush=True)
    finally:
        runtime.stop()
        if dump_path:
            dump_path.write_text(json.dumps(dump, indent=1))
    print(f"\nmachine: {platform.machine()} {platform.system()}, python {platform.python_version()}")
    print(f"pairs: {len(pairs)} from {', '.join(str(p) for p in paths)}; split={split or 'all'}")
    print("| mode | " + " | ".join(d.value for d in Dimension) + " | overall |")
    print("|---|" + "---|" * (len(Dimension) + 1))
    rows: list[tuple[str, dict[str, list[float]]]] = [(m.value, acc[m]) for m in CombineMode]
    for name, table in [*rows, (f"{evaluator.mode.value}, sampled", acc_sampled)]:
        cells = []
        everything: list[float] = []
        for d in Dimension:
            scores = table[d.value]
            everything += scores
            cells.append(f"{sum(scores) / len(scores):.2f} (n={len(scores)})" if scores else "-")
        print(f"| {name} | " + " | ".join(cells) + f" | {sum(everything) / max(1, len(everything)):.2f} |")
    if times:
        print(f"\nmodel calls: {len(times)}, mean {sum(times) / len(times):.1f} s, min {min(times):.1f}, max {max(times):.1f}")
    print("model check agrees with code signal:")
    for check, agree in sorted(check_agreement.items()):
        print(f"  {check}: {sum(agree)}/{len(agree)}")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    dump_to = next((Path(a.split("=", 1)[1]) for a in sys.argv if a.startswith("--dump=")), None)
    split = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--split=")), None)
    asyncio.run(main([Path(a) for a in args], split, dump_path=dump_to))
