"""Read while the candidate types: hand the next request's beginning to the model server early.

llama.cpp keeps the KV state of the last request it served and, for the next one, reads only
what follows the longest common token prefix ("prefix-match hit" in its log). While the candidate
types, the page (debounced) or the CLI (after each line) passes the draft to
`InterviewEngine.prewarm`, which sends [system, transcript + the draft as the candidate's line]
through the interviewer's own chat model with max_tokens=1. When Enter comes, the server has
already read everything up to the draft's last words, and reads only the rest of the answer and
the short move note (measured in benchmarks/bench_latency.py).

What keeps it from ever hurting the real request or the candidate:
- the embedded model only (the caller decides: `Settings.prewarm_enabled`); a remote API would
  bill every pause in typing and shares no KV state with us;
- at most one prewarm in flight per session; a draft that arrives meanwhile replaces the one
  waiting (intermediate drafts are dropped), and the waiting one goes when the flight lands;
- none while the session's own request is being made (`hold`), and the waiting draft is dropped;
- max_tokens=1, so a real request queued behind a prewarm waits only for the new words to be read;
- the draft is never stored (not in the session, not in the store) and nothing is shown: it lives
  in a closure here until it is sent; a failed prewarm is logged at debug level and forgotten.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from interviewer.session import Session

log = logging.getLogger(__name__)

# "sent": a request went out now; "queued": one is in flight, this draft goes next (replacing any
# waiting one); "off": prewarming is disabled; "busy": the session's real request is running;
# "idle": nothing to prepare (no question is waiting for an answer).
PrewarmStatus = Literal["sent", "queued", "off", "busy", "idle"]
# Builds the messages at send time (the session may have moved on), or None to skip.
Build = Callable[[], "list[BaseMessage] | None"]
# llama.cpp reads `max_tokens` from the body; langchain-openai would rename a `max_tokens` kwarg
# to `max_completion_tokens`, which llama.cpp ignores (it would then generate a whole reply).
PREWARM_REQUEST: dict[str, Any] = {"extra_body": {"max_tokens": 1}}
PREWARM_TIMEOUT = 60.0  # seconds; a prewarm that takes longer is pointless and is abandoned


class Prewarmer:
    """One per engine: tracks the flight and the waiting draft of each session (by session id)."""

    def __init__(self, model: BaseChatModel, *, enabled: bool, timeout: float = PREWARM_TIMEOUT) -> None:
        self.model = model
        self.enabled = enabled
        self.timeout = timeout
        self.sent = 0  # requests that went out (tests and the benchmark read it)
        self._flights: dict[str, asyncio.Task[None]] = {}
        self._waiting: dict[str, Build] = {}
        self._held: set[str] = set()

    def offer(self, key: str, build: Build) -> PrewarmStatus:
        """Send `build()` now, or after the flight in progress for `key`. Needs a running loop."""
        if not self.enabled:
            return "off"
        if key in self._held:
            return "busy"
        if key in self._flights:
            self._waiting[key] = build  # the previous waiting draft is dropped: this one is newer
            return "queued"
        self._flights[key] = asyncio.get_running_loop().create_task(self._fly(key, build))
        return "sent"

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        """While the session's real request runs: no prewarm starts and the waiting one is dropped.
        A flight already under way is left to land (cancelling it would not stop the server)."""
        self._held.add(key)
        self._waiting.pop(key, None)
        try:
            yield
        finally:
            self._held.discard(key)

    def in_flight(self, key: str) -> bool:
        return key in self._flights

    async def settle(self, key: str) -> None:
        """Wait until `key` has no prewarm in flight or waiting (tests, the benchmark, the CLI)."""
        task = self._flights.get(key)
        if task is not None:
            await asyncio.shield(task)

    async def _fly(self, key: str, build: Build | None) -> None:
        try:
            while build is not None and key not in self._held:
                messages = build()
                if messages:
                    await self._send(messages)
                build = self._waiting.pop(key, None)
        finally:
            self._flights.pop(key, None)

    async def _send(self, messages: list[BaseMessage]) -> None:
        self.sent += 1
        try:
            await asyncio.wait_for(self.model.ainvoke(messages, **PREWARM_REQUEST), self.timeout)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # nobody waits for a prewarm: a failure only costs the speed-up
            log.debug("prewarm failed: %r", exc)


def awaiting_answer(session: Session) -> bool:
    """A question is on screen and the candidate's answer comes next: the only time to prewarm."""
    if session.finished:
        return False
    spoken = [t for t in session.turns if t.role != "system"]
    return bool(spoken) and spoken[-1].role == "interviewer"
