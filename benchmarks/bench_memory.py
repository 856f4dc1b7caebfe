"""Resident memory of the embedded model server over many requests: flat, not growing.

llama-cpp-python's RAM prompt cache counts only the KV bytes of each saved state, not the logits
copy each state carries (~36 MB for a 60-token prompt, up to ~300 MB), so the server grew to
17.6 GB after ~190 scoring requests. Our server entry point (interviewer/llm/server_main.py)
counts every array. This sends --requests distinct short prompts (each a cache entry) to

  * `ours`:     the server as the app starts it (honest cache, 1 GiB by default), and
  * `upstream`: `python -m llama_cpp.server --cache True` with its defaults (--upstream-requests,
                fewer, because it really does grow without bound),

and samples the server's RSS (VmRSS in /proc) every --every requests.

    python benchmarks/bench_memory.py [--requests 1000] [--upstream-requests 150]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import httpx
from _common import ROOT, emit

from interviewer.config import load_settings
from interviewer.llm.local import LocalServer
from interviewer.llm.model_files import ensure_model

WORDS = ("latency", "index", "deploy", "rollback", "queue", "cache", "shard", "replica", "budget",
         "incident", "review", "test", "alert", "schema", "migration", "timeout")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def prompt(i: int) -> str:
    # Distinct from its first token on, so every request is a new cache entry (the worst case).
    picked = " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(12))
    return f"Request {i}. Summarise in three words: {picked}."


def drive(base_url: str, pid: int, requests: int, every: int) -> list[tuple[int, float]]:
    curve = [(0, rss_mib(pid))]
    with httpx.Client(timeout=120) as client:
        for i in range(1, requests + 1):
            r = client.post(f"{base_url}/chat/completions", json={
                "model": "local", "max_tokens": 4, "temperature": 0,
                "messages": [{"role": "user", "content": prompt(i)}]})
            r.raise_for_status()
            if i % every == 0 or i == requests:
                curve.append((i, rss_mib(pid)))
                print(f"[memory] {i} requests: {curve[-1][1]} MiB", file=sys.stderr, flush=True)
    return curve


class UpstreamServer(LocalServer):
    """The same process started the library's way, for the comparison."""

    def command(self) -> list[str]:
        cmd = super().command()
        start = cmd.index("interviewer.llm.server_main")
        # Drop our own options and the cache size: the library's defaults.
        rest = cmd[start + 1:]
        for opt in ("--parent-pid", "--role", "--cache_size"):
            i = rest.index(opt)
            del rest[i:i + 2]
        return [sys.executable, "-m", "llama_cpp.server", *rest]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--upstream-requests", type=int, default=150)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    settings = load_settings()
    model = ensure_model(settings.cache_dir, settings.model_path, settings.model_wheels_dir).path
    results: dict[str, object] = {"requests": args.requests, "cache_bytes": settings.local_cache_bytes}
    runs = (("ours", LocalServer, args.requests), ("upstream", UpstreamServer, args.upstream_requests))
    for name, cls, count in runs:
        if count <= 0:
            continue
        started = time.monotonic()
        with cls(model, n_ctx=1024, n_threads=args.threads, role=name,
                 cache_bytes=settings.local_cache_bytes) as server:
            assert server.pid is not None
            curve = drive(server.base_url, server.pid, count, min(args.every, count))
        results[name] = {"rss_mib": curve, "seconds": round(time.monotonic() - started, 1),
                         "peak_mib": max(v for _, v in curve),
                         "growth_last_half_mib": round(curve[-1][1] - curve[len(curve) // 2][1], 1)}
    emit("bench_memory", results)


if __name__ == "__main__":
    main()
