"""Candidate first: while the interviewer's server computes, the evaluator's server is frozen.

Why (issue 14, benchmarks/RESULTS.md §6 and §8): on a 2-core machine, two llama.cpp servers with
every core each stall one another (ggml's threads spin at barriers; the interviewer on 2 threads
took 23-27 s instead of 3.3 s while the evaluator scored), and splitting the cores (1 thread each)
reads prompts at half the speed. So both servers get every core but never compute at once: while
any interviewer request is in flight (a streamed question, a non-streamed call, a prewarm while
the candidate types), the evaluator's process is stopped with SIGSTOP; SIGCONT resumes it exactly
where it was once none is. Nothing is cancelled or read again; evaluation runs while the candidate
reads and types.

`ForegroundGate` counts the interviewer's requests in flight (thread-safe: the Chainlit event loop,
the CLI and worker threads all send them). `ForegroundTransport` / `ForegroundAsyncTransport` wrap
the interviewer's httpx transports: hold at request start, release when the response stream is
closed, on an error or a cancellation too.

Never left frozen:
- release happens in `finally`/`except` paths, and only once per request;
- a watchdog resumes the evaluator after `max_pause` seconds even if a release was lost, and
  forgets every hold taken before (their late releases are ignored);
- `close()` (LLMRuntime.stop) resumes first; LocalServer's kill sends SIGCONT after SIGTERM;
- if the app dies while the evaluator is frozen, the kernel SIGKILLs it as the app's last thread
  exits: the server asked for that parent-death signal (server_main.die_with_parent), and local.py
  forks every server from one thread that lives as long as the app. (The kernel's hang-up and
  resume of an orphaned stopped group is not enough: it does not come under a subreaper in the
  app's session, nor if the app dies before every thread of the server stopped.)
A frozen server is alive: `procfs.process_ending` reads state 'T' as running, its port still
accepts connections (the kernel's backlog), and the evaluator's request simply waits.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import cast

# The OpenAI SDK (3.x, pinned in requirements/lock.txt) sends with httpx2, a fork of httpx with the
# same transport API; a transport must come from the package of the client it is mounted in.
import httpx2 as httpx

from interviewer.llm.local import tell

# Longer than any one interviewer request on the embedded model (a cold 1,500-token prompt and a
# 96-token question take ~25 s on 2 cores); only a lost release or a pile-up of sessions reaches it.
MAX_PAUSE_SECONDS = 120.0
# The limits the OpenAI SDK gives its own transport (openai._constants.DEFAULT_CONNECTION_LIMITS).
CONNECTION_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)


class ForegroundGate:
    """Freezes the background process (the evaluator's server) while foreground work is held."""

    def __init__(
        self,
        background_pid: Callable[[], int | None],
        *,
        max_pause: float = MAX_PAUSE_SECONDS,
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        # Asked at every pause, so a restarted server (a new pid) is the one frozen.
        self._pid_of = background_pid
        self.max_pause = max_pause
        self._on_event = on_event
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._held = 0
        self._epoch = 0  # bumped when the watchdog or close() forgets the holds in flight
        self._frozen_pid: int | None = None
        self._frozen_at = 0.0
        self._closed = False
        self._watchdog: threading.Thread | None = None
        # For benchmarks and logs.
        self.pauses = 0
        self.paused_seconds = 0.0
        self.overruns = 0

    # -- holding -----------------------------------------------------------------------------
    def hold(self) -> Callable[[], None]:
        """Mark foreground work in flight; returns its release (idempotent: calling it twice, or
        after the watchdog forgot this hold, does nothing)."""
        with self._lock:
            if self._closed:
                return _nothing
            epoch = self._epoch
            self._held += 1
            if self._held == 1:
                self._freeze()
        done = threading.Event()

        def release() -> None:
            if done.is_set():
                return
            done.set()
            self._release(epoch)

        return release

    def _release(self, epoch: int) -> None:
        with self._lock:
            if epoch != self._epoch or self._closed:
                return
            self._held -= 1
            if self._held == 0:
                self._thaw()

    @property
    def held(self) -> int:
        return self._held

    @property
    def frozen_pid(self) -> int | None:
        return self._frozen_pid

    # -- signals (called with the lock held) ---------------------------------------------------
    def _freeze(self) -> None:
        pid = self._pid_of()
        if pid is None:  # the evaluator is restarting: nothing to freeze this time
            return
        try:
            os.kill(pid, signal.SIGSTOP)
        except ProcessLookupError:
            return
        self._frozen_pid, self._frozen_at = pid, time.monotonic()
        self.pauses += 1
        self._start_watchdog()
        self._changed.notify_all()

    def _thaw(self) -> None:
        pid, self._frozen_pid = self._frozen_pid, None
        if pid is None:
            return
        self.paused_seconds += time.monotonic() - self._frozen_at
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
        self._changed.notify_all()

    # -- the watchdog ----------------------------------------------------------------------------
    def _start_watchdog(self) -> None:
        if self._watchdog is None or not self._watchdog.is_alive():
            self._watchdog = threading.Thread(target=self._watch, name="foreground-watchdog", daemon=True)
            self._watchdog.start()

    def _watch(self) -> None:
        while self._overrun():
            tell(self._on_event, f"the evaluator's server was paused for {self.max_pause:.0f} s; resumed it")

    def _overrun(self) -> bool:
        """Wait until a freeze outlasts max_pause and thaw it (True), or until closed (False)."""
        with self._lock:
            while not self._closed:
                if self._frozen_pid is None:
                    self._changed.wait()
                    continue
                left = self._frozen_at + self.max_pause - time.monotonic()
                if left > 0:
                    self._changed.wait(left)
                    continue
                # A release was lost, or the interviewer has been busy for max_pause on end: the
                # evaluator must not starve forever. Forget the holds; new requests freeze again.
                self.overruns += 1
                self._held = 0
                self._epoch += 1
                self._thaw()
                return True
            return False

    def resume(self) -> None:
        """Thaw now and forget the holds in flight (before a server is stopped or restarted)."""
        with self._lock:
            self._held = 0
            self._epoch += 1
            self._thaw()

    def close(self) -> None:
        """Thaw for good: later holds do nothing."""
        with self._lock:
            self._closed = True
            self._held = 0
            self._epoch += 1
            self._thaw()
            self._changed.notify_all()


def _nothing() -> None:
    return None


# -- the interviewer's HTTP transports --------------------------------------------------------------
class _ReleasingStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, release: Callable[[], None]) -> None:
        self._inner = inner
        self._release = release

    def __iter__(self) -> Iterator[bytes]:
        yield from self._inner

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._release()


class _ReleasingAsyncStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._inner = inner
        self._release = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._release()


class ForegroundTransport(httpx.BaseTransport):
    """httpx's transport, holding `gate` from request start until the response is closed."""

    def __init__(self, gate: ForegroundGate, inner: httpx.BaseTransport | None = None) -> None:
        self.gate = gate
        self._inner = inner or httpx.HTTPTransport(limits=CONNECTION_LIMITS)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        release = self.gate.hold()
        try:
            response = self._inner.handle_request(request)
        except BaseException:
            release()
            raise
        response.stream = _ReleasingStream(cast(httpx.SyncByteStream, response.stream), release)
        return response

    def close(self) -> None:
        self._inner.close()


class ForegroundAsyncTransport(httpx.AsyncBaseTransport):
    """The async twin of `ForegroundTransport` (holding is a lock and a signal: no await)."""

    def __init__(self, gate: ForegroundGate, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.gate = gate
        self._inner = inner or httpx.AsyncHTTPTransport(limits=CONNECTION_LIMITS)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        release = self.gate.hold()
        try:
            response = await self._inner.handle_async_request(request)
        except BaseException:  # an error or a cancellation before the response: release now
            release()
            raise
        response.stream = _ReleasingAsyncStream(cast(httpx.AsyncByteStream, response.stream), release)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
