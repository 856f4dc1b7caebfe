"""Shared plumbing for the benchmark scripts: machine facts, engines wired to a fake server,
and result printing. Every script can run alone (`python benchmarks/bench_x.py`) or via
`python benchmarks/run_all.py`."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from interviewer.llm.provider import make_chat_model  # noqa: E402
from testkit.drive import percentile  # noqa: E402


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next((line.split(":", 1)[1].strip() for line in out.splitlines()
                      if line.startswith("Model name")), model)
    except OSError:
        pass
    mem_gib = None
    try:
        with open("/proc/meminfo") as f:
            kib = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
            mem_gib = round(kib / 1024 / 1024, 1)
    except (OSError, StopIteration, ValueError):
        pass
    return {"cpu": model, "cores": os.cpu_count(), "mem_gib": mem_gib, "python": platform.python_version(),
            "load_average_1m": round(os.getloadavg()[0], 2),
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}


def fake_chat(url: str, *, streaming: bool, model: str = "bench-model", timeout: float = 30,
              max_retries: int = 2, max_tokens: int | None = None):  # noqa: ANN201
    return make_chat_model(base_url=url, api_key="sk-bench-not-a-key", model=model, openai_native=False,
                           timeout=timeout, max_retries=max_retries, streaming=streaming,
                           max_tokens=max_tokens)


def long_interview_library():  # noqa: ANN201
    """The personas with the longest plan the question bank allows (for 30+ answer interviews)."""
    from interviewer.interview.personas import PersonaLibrary

    library = PersonaLibrary.load()
    longer = {}
    for persona in library.all():
        plan = persona.plan.model_copy(update={"deep_dive": 3, "behavioural": 10, "technical": 2})
        longer[persona.id] = persona.model_copy(update={"plan": plan})
    return PersonaLibrary(longer)


def build_engine(interviewer_url: str, evaluator_url: str | None, library: Any = None,
                 **engine_kwargs: Any):  # noqa: ANN201
    """The real InterviewEngine (+ AnswerEvaluator when evaluator_url is given) on fake servers."""
    from interviewer.interview.engine import InterviewEngine
    from interviewer.evaluation.evaluator import AnswerEvaluator
    from interviewer.interview.personas import PersonaLibrary

    library = library or PersonaLibrary.load()
    evaluator = AnswerEvaluator(fake_chat(evaluator_url, streaming=False)) if evaluator_url else None
    return InterviewEngine(fake_chat(interviewer_url, streaming=True), library, evaluator, **engine_kwargs), library


def ms_stats(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 2) if ms else float("nan"),
            "p95_ms": round(percentile(ms, 95), 2), "max_ms": round(max(ms), 2) if ms else float("nan")}


def emit(name: str, result: dict[str, Any]) -> dict[str, Any]:
    payload = {"benchmark": name, "machine": machine(), **result}
    print(json.dumps(payload, indent=2))
    return payload
