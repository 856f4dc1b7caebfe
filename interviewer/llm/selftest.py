"""A real one-token completion in a child process, so a crashing llama.cpp build is named, not hidden.

A llama.cpp compiled for the wrong CPU dies with SIGILL on the first token, not at import or load;
inside the app that showed up only as "the connection to the model was lost". `interviewer doctor`
(and so `make run`) runs this first: the child loads the model and generates one token; the parent
reports how the child ended, by its signal, with the fix.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from interviewer.llm.local import describe_exit, server_environment


@dataclass(frozen=True)
class SelfTest:
    ok: bool
    seconds: float
    detail: str


def run_selftest(model_path: Path, timeout: float = 180.0, python: str = sys.executable) -> SelfTest:
    started = time.monotonic()
    cmd = [python, "-m", "interviewer.llm.selftest", str(model_path)]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=server_environment()
        )
    except subprocess.TimeoutExpired:
        return SelfTest(False, timeout, f"no token within {timeout:.0f} s (is the machine overloaded?)")
    seconds = time.monotonic() - started
    if proc.returncode == 0:
        return SelfTest(True, seconds, proc.stdout.strip() or "one token generated")
    tail = (proc.stderr or "").strip().splitlines()[-3:]
    detail = f"the model process {describe_exit(proc.returncode)}"
    if proc.returncode > 0 and tail:
        detail += ": " + " | ".join(tail)
    return SelfTest(False, seconds, detail)


def child(model_path: str) -> None:
    from llama_cpp import Llama

    llm = Llama(model_path=model_path, n_ctx=256, n_batch=64, n_threads=1, verbose=False)
    out = llm.create_completion("The capital of France is", max_tokens=1, temperature=0.0)
    text = out["choices"][0]["text"]  # type: ignore[index]
    print(f"one token generated: {text!r}")


if __name__ == "__main__":
    child(sys.argv[1])
