"""Entry point of the embedded model server process: llama-cpp-python's server, with two fixes.

Run as `python -m interviewer.llm.server_main --parent-pid PID <llama_cpp.server flags>`.

1. **It dies with its parent.** Chainlit users stop apps with SIGTERM or kill them; the servers
   (about 2 GB each) were left running with parent PID 1. Linux's parent-death signal follows the
   *thread* that forked the child (our servers are started from a worker thread that then ends),
   so instead a daemon thread compares `os.getppid()` with the PID it was given twice a second
   and exits the moment they differ, whatever way the parent ended (SIGTERM, SIGKILL, a crash).
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
    parent = int(own["--parent-pid"]) if "--parent-pid" in own else None
    if parent is not None:
        if os.getppid() != parent:  # the parent died before we got here
            os._exit(0)
        watch_parent(parent)
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
