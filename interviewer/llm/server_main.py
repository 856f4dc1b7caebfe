"""Entry point of the embedded model server process: llama-cpp-python's server, with two fixes.

Run as `python -m interviewer.llm.server_main --parent-pid PID <llama_cpp.server flags>`.

1. **It dies with its parent.** Chainlit users stop apps with SIGTERM or kill them; the servers
   (about 2 GB each) were left running with parent PID 1. The server asks Linux for SIGKILL when
   its parent goes (`prctl(PR_SET_PDEATHSIG)`): the kernel sends it while the app exits, before
   the app can be reaped, however the app ended (SIGTERM, SIGKILL, a crash), and it ends a server the scheduler
   has frozen too (llm/scheduler.py). A frozen server can do nothing itself, and the kernel's
   hang-up and resume of an orphaned stopped process group does not always come: not if the app
   dies before every thread of the server has stopped, not under a subreaper in the app's
   session, and a hang-up does nothing where SIGHUP is ignored (nohup, some CI runners). That
   signal follows the *thread* that forked the child, so local.py forks every server from one
   thread that ends only with the app (`spawn_server`). Where prctl is missing, a daemon thread
   compares `os.getppid()` with the PID it was given every `PARENT_POLL_SECONDS` instead (it
   cannot see anything while the server is frozen).
2. **Its prompt cache is bounded by what it really holds.** llama-cpp-python's `LlamaRAMCache`
   counts only the KV bytes of each saved state, but every state also carries a copy of the
   logits (up to n_batch x vocabulary floats, ~300 MB for Qwen2.5), so a "2 GB" cache grew past
   17 GB in about 190 requests. `HonestRAMCache` counts every array a state holds.
3. **It returns logprobs without `logits_all`** for the evaluator's confidence in each check
   (llm/token_logprobs.py).
4. **It reads as well as writes:** POST /interviewer/read returns the model's hidden states for a
   prompt, for the evaluator's reader (llm/state_reader.py, evaluation/reader.py).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

DEFAULT_CACHE_BYTES = 1 << 30
PARENT_POLL_SECONDS = 0.5


def state_bytes(state: Any) -> int:
    """Bytes one saved llama state holds: KV data plus its logits and token copies."""
    total = int(getattr(state, "llama_state_size", 0))
    for name in ("scores", "input_ids"):
        array = getattr(state, name, None)
        total += int(getattr(array, "nbytes", 0))
    return total


def honest_cache_class() -> type:
    import llama_cpp

    class HonestRAMCache(llama_cpp.LlamaRAMCache):  # type: ignore[misc,name-defined]
        @property
        def cache_size(self) -> int:
            return sum(state_bytes(s) for s in self.cache_state.values())

    return HonestRAMCache


def watch_parent(parent_pid: int, poll: float = PARENT_POLL_SECONDS) -> threading.Thread:
    def run() -> None:
        while os.getppid() == parent_pid:
            time.sleep(poll)
        # No clean-up to do: the model is mmapped and the cache lives in this process.
        os._exit(0)

    thread = threading.Thread(target=run, name="parent-watch", daemon=True)
    thread.start()
    return thread


# <linux/prctl.h>
PR_SET_PDEATHSIG = 1


def set_parent_death_signal(sig: int) -> bool:
    """Ask Linux to send `sig` to this process when the thread that started it ends (also when
    the parent process dies: all its threads end). False where prctl is not available."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        zero = ctypes.c_ulong(0)
        return int(libc.prctl(ctypes.c_int(PR_SET_PDEATHSIG), ctypes.c_ulong(sig), zero, zero, zero)) == 0
    except (OSError, AttributeError):
        return False


def die_with_parent(parent_pid: int) -> None:
    """End this process with the app that started it (module doc, 1); the server's first act.

    SIGKILL, not SIGTERM: it is the one signal a stopped process acts on without SIGCONT, and there
    is nothing to clean up (the model is mmapped, the cache lives in this process)."""
    armed = set_parent_death_signal(signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before we got here (or before prctl)
        os._exit(0)
    if not armed:
        watch_parent(parent_pid)


OWN_OPTIONS = ("--parent-pid", "--role")


def split_args(argv: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """Take our options (`--parent-pid N`, `--role NAME`, the latter only for `ps` and logs) out;
    everything else is llama_cpp.server's."""
    rest: list[str] = []
    own: dict[str, str] = {}
    items = list(argv)
    i = 0
    while i < len(items):
        if items[i] in OWN_OPTIONS and i + 1 < len(items):
            own[items[i]] = items[i + 1]
            i += 2
            continue
        rest.append(items[i])
        i += 1
    return own, rest


def main(argv: Sequence[str] | None = None) -> None:
    own, rest = split_args(sys.argv[1:] if argv is None else argv)
    if "--parent-pid" in own:
        die_with_parent(int(own["--parent-pid"]))
    import llama_cpp
    from llama_cpp.server.__main__ import main as server_main

    # The server builds its cache as `llama_cpp.LlamaRAMCache(capacity_bytes=...)` when it loads
    # the model; pointing that name at the honest class is the one seam it offers.
    setattr(llama_cpp, "LlamaRAMCache", honest_cache_class())  # noqa: B010
    # 3. Top logprobs of generated tokens without logits_all (llm/token_logprobs.py). Imported
    # here: it needs numpy, which llama-cpp-python brings, and only this process uses it.
    from llama_cpp.llama import LogitsProcessorList

    from interviewer.llm import token_logprobs

    token_logprobs.install(llama_cpp.Llama, LogitsProcessorList)
    # 4. The reading route: the server's module bound `create_app` at import, so wrap it there.
    import llama_cpp.server.__main__ as server_module

    from interviewer.llm import state_reader

    build = getattr(server_module, "create_app")  # noqa: B009

    def create_app(*args: Any, **kwargs: Any) -> Any:
        return state_reader.add_route(build(*args, **kwargs))

    setattr(server_module, "create_app", create_app)  # noqa: B010
    sys.argv = [sys.argv[0], *rest]
    server_main()  # type: ignore[no-untyped-call]  # llama_cpp ships no types


if __name__ == "__main__":
    main()
