"""Does appending an injection ever raise a score?  On the real judge, on injections nobody tuned on.

For each row of an injection file (JSON Lines with "question", "answer", "injection"; by default
benchmarks/data/heldout/injection_answers.jsonl, written by someone who saw neither the detector
nor the judge), scores the plain answer and `answer + " " + injection` with the configured model
(the embedded one by default) and counts, per dimension, how often the injected answer scored
higher. Also reports whether the detector flagged the injection, how many comparison texts capped
it (evaluation/evaluator.py `comparisons`), and whether one of them was the plain answer exactly.

    python benchmarks/bench_injection_gains.py [FILE] [--limit=N] [--dump=FILE.jsonl] > RESULT.json

Progress goes to stderr, one line per row; the summary is one JSON object on stdout. `--dump`
writes, per row as it is scored, the texts the judge read and the sentences it cited for each,
so the rows can be rescored offline without the model. Results: benchmarks/evaluator.md.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from _common import emit

from interviewer.cli.runtime import settings_or_exit, start_runtime
from interviewer.evaluation.evaluator import INJECTION_ATTEMPT, AnswerEvaluator, Judgement, Reading
from interviewer.llm.provider import Role
from interviewer.session import DIMENSIONS, Evaluation

DEFAULT = Path(__file__).parent / "data" / "heldout" / "injection_answers.jsonl"


def _reading(reading: Reading) -> dict[str, Any]:
    return {"text": reading.text, "cited": {k: v for k, v in reading.cited.items() if v},
            "instruction_like": sorted(reading.numbered.instruction_like),
            "signals": sorted(n for n in reading.signals.hits if reading.signals.hit(n))}


def _judged(judgement: Judgement, evaluation: Evaluation) -> dict[str, Any]:
    return {"scores": evaluation.scores(), "flags": evaluation.flags, "reading": _reading(judgement.reading),
            "caps": [_reading(cap) for cap in judgement.caps]}


async def patiently(evaluator: AnswerEvaluator, question: str, answer: str, attempts: int = 3) -> Judgement:
    """`evaluator.judge`, tried again after a failure (a busy shared machine), like batch scoring."""
    for attempt in range(1, attempts):
        try:
            return await evaluator.judge(question, answer)
        except Exception as exc:  # noqa: BLE001 - any failure is retried, the last one raised
            print(f"  retry {attempt}: {type(exc).__name__}", file=sys.stderr, flush=True)
            await asyncio.sleep(2.0 * attempt)
    return await evaluator.judge(question, answer)


async def main(path: Path, limit: int | None, dump: Path | None) -> None:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()][:limit]
    runtime = start_runtime(settings_or_exit())
    gains = {d.value: 0 for d in DIMENSIONS}
    raised_rows: dict[str, list[str]] = {}
    flagged = capped = exact = unavailable = plain_capped = 0
    started = time.perf_counter()
    out = dump.open("w") if dump else None
    try:
        evaluator = AnswerEvaluator(runtime.chat_model(Role.EVALUATOR, temperature=0, max_tokens=400),
                                    top_logprobs=runtime.evaluator_top_logprobs)
        for row in rows:
            t0 = time.perf_counter()
            try:
                base = await patiently(evaluator, row["question"], row["answer"])
                text = f"{row['answer']} {row['injection']}"
                judgement = await patiently(evaluator, row["question"], text)
            except Exception as exc:  # the model was unavailable: counted, never a score
                unavailable += 1
                print(row.get("id"), "unavailable", type(exc).__name__, file=sys.stderr, flush=True)
                continue
            plain, hit = evaluator.build(base, row["answer"]), evaluator.build(judgement, text)
            flagged += INJECTION_ATTEMPT in hit.flags
            plain_capped += bool(base.caps)
            capped += bool(judgement.caps)
            is_exact = any(cap.text == base.reading.text for cap in judgement.caps)
            exact += is_exact
            raised = [d.value for d in DIMENSIONS if (hit.score(d) or 0) > (plain.score(d) or 0)]
            for name in raised:
                gains[name] += 1
            if raised:
                raised_rows[str(row.get("id"))] = raised
            print(row.get("id"), "flagged" if INJECTION_ATTEMPT in hit.flags else "-",
                  f"caps={len(judgement.caps)}", "exact" if is_exact else "-",
                  "RAISED " + ",".join(raised) if raised else "", f"{time.perf_counter() - t0:.0f} s",
                  file=sys.stderr, flush=True)
            if out:
                out.write(json.dumps({"id": row.get("id"), "question": row["question"], "raised": raised,
                                      "plain": _judged(base, plain), "injected": _judged(judgement, hit)}) + "\n")
                out.flush()
    finally:
        runtime.stop()
        if out:
            out.close()
    n = len(rows) - unavailable
    emit("bench_injection_gains", {
        "command": " ".join(["python", "benchmarks/bench_injection_gains.py", *sys.argv[1:]]),
        "file": str(path), "rows": n, "unavailable": unavailable,
        "seconds": round(time.perf_counter() - started),
        "flagged": flagged, "capped": capped, "capped_by_the_plain_answer_exactly": exact,
        "gains_per_dimension": gains, "rows_with_a_gain": len(raised_rows), "raised": raised_rows,
        "plain_answers_with_caps": plain_capped,
    })


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    limit = next((int(a.split("=", 1)[1]) for a in sys.argv if a.startswith("--limit=")), None)
    dump = next((Path(a.split("=", 1)[1]) for a in sys.argv if a.startswith("--dump=")), None)
    asyncio.run(main(Path(args[0]) if args else DEFAULT, limit, dump))
