"""Tokens per second of the portable llama.cpp build against a native (-march=native) one.

The portable wheel is the one `make` installs (interviewer/llm/build.py, this CPU's level, never
AVX-512 or AMX). The native wheel is what a plain `pip install llama-cpp-python` builds; it is
built here once into benchmarks/out/ with pip's cache off (pass --native-wheel to reuse one).
Each wheel is unpacked into its own folder and measured in a child process on the same model:
prompt reading (a ~400-token prompt, cache reset each time) and generation (up to 128 tokens),
with 1 and 2 threads, median of --repeat runs.

    python benchmarks/bench_build.py [--native-wheel PATH] [--repeat 3] [--also NAME=WHEEL]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import ROOT, emit

from interviewer.config import load_settings
from interviewer.llm import build
from interviewer.llm.model_files import ensure_model

OUT = ROOT / "benchmarks" / "out"

CHILD = r"""
import json, sys, time
from llama_cpp import Llama
model, threads, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
llm = Llama(model_path=model, n_ctx=1024, n_threads=threads, n_threads_batch=threads, verbose=False)
para = ("The candidate described how the checkout service timed out under load, how the team "
        "found a missing index with the query plan, and what they changed in the deploy checks. ")
prompt = para * 12
n_prompt = len(llm.tokenize(prompt.encode()))
pp, tg = [], []
for _ in range(repeat):
    llm.reset()
    t = time.perf_counter(); llm.eval(llm.tokenize(prompt.encode())); pp.append(n_prompt / (time.perf_counter() - t))
    llm.reset()
    t0 = time.perf_counter()
    out = llm.create_completion("Count from one to two hundred in words: one, two,", max_tokens=128, temperature=0)
    n = out["usage"]["completion_tokens"]
    tg.append(n / (time.perf_counter() - t0))
print(json.dumps({"prompt_tokens": n_prompt, "prompt_tps": pp, "gen_tps": tg}))
"""


def native_wheel(version: str) -> tuple[Path, float | None]:
    out_dir = OUT / "native-wheel"
    found = build.find_wheel(out_dir, version)
    if found:
        return found, None
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    env = {k: v for k, v in os.environ.items() if k != "CMAKE_ARGS"}
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "--no-binary",
                    build.PACKAGE, f"{build.PACKAGE}=={version}", "-w", str(out_dir)], check=True, env=env)
    wheel = build.find_wheel(out_dir, version)
    assert wheel is not None
    return wheel, time.monotonic() - started


def unpack(wheel: Path, name: str) -> Path:
    target = OUT / f"site-{name}-{hashlib.sha256(str(wheel.resolve()).encode()).hexdigest()[:8]}"
    if not (target / "llama_cpp").exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
                        str(target), str(wheel)], check=True)
    return target


def measure(site: Path, model: Path, threads: int, repeat: int) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(site))
    proc = subprocess.run([sys.executable, "-c", CHILD, str(model), str(threads), str(repeat)],
                          capture_output=True, text=True, env=env, check=True)
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"prompt_tokens": data["prompt_tokens"],
            "prompt_tokens_per_s": round(statistics.median(data["prompt_tps"]), 1),
            "gen_tokens_per_s": round(statistics.median(data["gen_tps"]), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--native-wheel", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--also", action="append", default=[], metavar="NAME=WHEEL",
                        help="measure another wheel too (e.g. the x86-64-v3 one from the cache)")
    args = parser.parse_args()
    version = build.locked_version(ROOT / "requirements" / "lock.txt")
    settings = load_settings()
    model = ensure_model(settings.cache_dir, settings.model_path, settings.model_wheels_dir).path
    portable = build.ensure_wheel(ROOT / "requirements" / "lock.txt")
    native, native_build_s = (args.native_wheel, None) if args.native_wheel else native_wheel(version)
    level = build.choose_level(build.cpu_flags())
    results: dict[str, object] = {"level": level.name,
                                  "portable_cmake_args": build.cmake_args(level),
                                  "native_build_seconds": native_build_s}
    wheels = [("portable", portable), ("native", native)]
    wheels += [(item.split("=", 1)[0], Path(item.split("=", 1)[1])) for item in args.also]
    for name, wheel in wheels:
        site = unpack(wheel, name)
        results[name] = {str(t): measure(site, model, t, args.repeat) for t in (1, 2)}
    emit("bench_build", results)


if __name__ == "__main__":
    main()
