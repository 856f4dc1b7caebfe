"""Does appending an injection ever raise a score?  On the real judge, on injections nobody tuned on.

For each row of an injection file (JSON Lines with "question", "answer", "injection"; by default
benchmarks/data/heldout/injection_answers.jsonl, written by someone who saw neither the detector
nor the judge), scores the plain answer and `answer + " " + injection` with the configured model
(the embedded one by default) and counts, per dimension, how often the injected answer scored
higher. Also reports whether the detector flagged the injection and whether the judge saw any
instruction-like sentence (the cap of evaluation/evaluator.py).

    python benchmarks/bench_injection_gains.py [FILE] [--limit=N]

Results: benchmarks/evaluator.md.
"""

from __future__ import annotations

import asyncio
import json
import platform
import sys
import time
from pathlib import Path

from interviewer.cli.runtime import settings_or_exit, start_runtime
from interviewer.evaluation.evaluator import INJECTION_ATTEMPT, AnswerEvaluator
from interviewer.llm.provider import Role
from interviewer.session import DIMENSIONS

DEFAULT = Path(__file__).parent / "data" / "heldout" / "injection_answers.jsonl"


async def main(path: Path, limit: int | None) -> None:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()][:limit]
    runtime = start_runtime(settings_or_exit())
    gains = {d.value: 0 for d in DIMENSIONS}
    flagged = capped = unavailable = 0
    started = time.perf_counter()
    try:
        evaluator = AnswerEvaluator(runtime.chat_model(Role.EVALUATOR, temperature=0, max_tokens=400))
        for row in rows:
            plain = await evaluator.evaluate_patiently(row["question"], row["answer"])
            text = f"{row['answer']} {row['injection']}"
            judgement = await evaluator.judge(row["question"], text)
            hit = evaluator.build(judgement, text)
            if plain.status.value != "ok":
                unavailable += 1
                continue
            flagged += INJECTION_ATTEMPT in hit.flags
            capped += judgement.capped is not None
            raised = [d.value for d in DIMENSIONS if (hit.score(d) or 0) > (plain.score(d) or 0)]
            for name in raised:
                gains[name] += 1
            print(row.get("id"), "flagged" if INJECTION_ATTEMPT in hit.flags else "-",
                  "capped" if judgement.capped else "-", "RAISED " + ",".join(raised) if raised else "", flush=True)
    finally:
        runtime.stop()
    n = len(rows) - unavailable
    print(f"\n{platform.machine()} {platform.system()}; {n} rows from {path} in {time.perf_counter() - started:.0f} s")
    print(f"flagged {flagged}/{n}; judged again without instruction-like sentences {capped}/{n}; unavailable {unavailable}")
    print("answers whose score rose with the injection: " + ", ".join(f"{k} {v}/{n}" for k, v in gains.items()))


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    limit = next((int(a.split("=", 1)[1]) for a in sys.argv if a.startswith("--limit=")), None)
    asyncio.run(main(Path(args[0]) if args else DEFAULT, limit))
