"""Which way of combining the model's yes/no checks with code signals ranks answers best?

Runs the evaluator's ONE structured model call per answer on pair files, then rescores the same
judgements under every CombineMode (signal, model, average, either, both), so the comparison is
exact and costs one model call per answer. Also reports seconds per model call.

    python benchmarks/bench_evaluator.py /work/shared/eval/dev_pairs.jsonl tests/data/evaluator_pairs.jsonl

Uses the configured backend (the embedded model by default). Results: benchmarks/evaluator.md.
"""

from __future__ import annotations

import asyncio
import json
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

from interviewer.cli.runtime import settings_or_exit, start_runtime
from interviewer.evaluation.evaluator import AnswerEvaluator
from interviewer.llm.provider import Role
from interviewer.evaluation.rubric import CombineMode
from interviewer.session import Dimension


def _rank(v: int | None) -> int:
    return 0 if v is None else v


async def main(paths: list[Path], ask_quotes: bool) -> None:
    pairs = [json.loads(line) for p in paths for line in p.read_text().splitlines() if line.strip()]
    runtime = start_runtime(settings_or_exit())
    try:
        model = runtime.chat_model(Role.EVALUATOR, temperature=0, max_tokens=400)
        evaluator = AnswerEvaluator(model, ask_quotes=ask_quotes)
        acc: dict[CombineMode, dict[str, list[float]]] = {m: defaultdict(list) for m in CombineMode}
        times: list[float] = []
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
            for mode in CombineMode:
                b, w = (_rank(evaluator.build(j, a, mode).score(dim)) for j, a in judged)
                acc[mode][dim.value].append(1.0 if b > w else 0.5 if b == w else 0.0)
            # How often does the model's check agree with the code signal of the same criterion?
            for j, _ in judged:
                for crit in evaluator.rubric.dimension(dim).criteria:
                    if crit.check and crit.signal:
                        check_agreement[crit.check].append(j.checks[crit.check] == j.signals.hit(crit.signal))
            print(pair.get("id"), {m.value: acc[m][dim.value][-1] for m in CombineMode}, flush=True)
    finally:
        runtime.stop()
    print(f"\nmachine: {platform.machine()} {platform.system()}, python {platform.python_version()}")
    print(f"pairs: {len(pairs)} from {', '.join(str(p) for p in paths)}; ask_quotes={ask_quotes}")
    print("| mode | " + " | ".join(d.value for d in Dimension) + " | overall |")
    print("|---|" + "---|" * (len(Dimension) + 1))
    for mode in CombineMode:
        cells = []
        everything: list[float] = []
        for d in Dimension:
            scores = acc[mode][d.value]
            everything += scores
            cells.append(f"{sum(scores) / len(scores):.2f} (n={len(scores)})" if scores else "-")
        print(f"| {mode.value} | " + " | ".join(cells) + f" | {sum(everything) / len(everything):.2f} |")
    if times:
        print(f"\nmodel calls: {len(times)}, mean {sum(times) / len(times):.1f} s, min {min(times):.1f}, max {max(times):.1f}")
    print("model check agrees with code signal:")
    for check, agree in sorted(check_agreement.items()):
        print(f"  {check}: {sum(agree)}/{len(agree)}")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    asyncio.run(main([Path(a) for a in args], ask_quotes="--no-quotes" not in sys.argv))
