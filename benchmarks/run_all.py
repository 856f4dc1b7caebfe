"""Run every benchmark, each in a fresh process, and save the results to
benchmarks/results-latest.json (copy the numbers into RESULTS.md with your machine's details).

    python benchmarks/run_all.py                # everything, including the embedded model
    python benchmarks/run_all.py --skip-embedded
    python benchmarks/run_all.py --only bench_tokens
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["bench_overhead", "bench_offpath", "bench_tokens", "bench_concurrency", "bench_soak",
           "bench_evaluator", "bench_embedded", "bench_latency"]
EMBEDDED = ("bench_embedded", "bench_evaluator", "bench_latency")  # start the real model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-embedded", action="store_true", help="skip benchmarks that start the real model")
    parser.add_argument("--only", action="append", default=[], help="run only these (repeatable)")
    args = parser.parse_args()
    names = args.only or BENCHES
    if args.skip_embedded:
        names = [n for n in names if n not in EMBEDDED]
    results: dict[str, object] = {}
    failed = []
    for name in names:
        script = HERE / f"{name}.py"
        if not script.exists():
            print(f"[bench] {name}: not present, skipped", file=sys.stderr)
            continue
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=HERE)
        seconds = round(time.perf_counter() - started, 1)
        try:
            start = proc.stdout.index("{")
            results[name] = {"seconds": seconds, **json.loads(proc.stdout[start:])}
        except ValueError:
            results[name] = {"seconds": seconds, "exit": proc.returncode, "stderr": proc.stderr[-3000:]}
        if proc.returncode != 0:
            failed.append(name)
            print(proc.stderr[-3000:], file=sys.stderr)
        print(f"[bench] {name}: exit {proc.returncode} in {seconds} s", file=sys.stderr, flush=True)
    out = HERE / "results-latest.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"[bench] wrote {out}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
