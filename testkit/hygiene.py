"""Watches an event loop for streams that were not closed where they were opened.

Why: an `async for` that is left early (a `break`, an exception in its body, a cancelled task)
does not close the async generator it iterates. The garbage collector hands such a generator to
the loop's finaliser hook, which closes it in a *new* task; an HTTP stream inside it then closes
away from the task that opened it. That is where `async generator ignored GeneratorExit` and
httpcore's `Attempted to exit cancel scope in a different task` come from. The messages depend on
library versions and timing; the finaliser hook is reached every time, so it is the thing to watch.

Use inside a running loop:

    async with StreamHygiene() as hygiene:
        ...  # start and stop streams
    assert not hygiene.problems(), hygiene.problems()
"""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

# What the app log showed (issue 14); any of these in a message or error fails a check.
BAD_TEXT = ("ignored GeneratorExit", "cancel scope in a different task", "closing of asynchronous generator")


@dataclass
class StreamHygiene:
    """Records, while active: generators closed by the GC finaliser (with their module), errors the
    loop reported to its exception handler, and unraisable exceptions (`sys.unraisablehook`)."""

    # Only generators from these modules count as leaks: a library's own internal generators are
    # listed in `finalised` for the record but are not ours to close.
    modules: tuple[str, ...] = ("interviewer.", "webapp.")
    settle_rounds: int = 5
    finalised: list[str] = field(default_factory=list)
    loop_errors: list[str] = field(default_factory=list)
    unraisable: list[str] = field(default_factory=list)
    _saved: Any = None

    async def __aenter__(self) -> "StreamHygiene":
        loop = asyncio.get_running_loop()
        hooks = sys.get_asyncgen_hooks()
        previous_handler = loop.get_exception_handler()
        previous_unraisable = sys.unraisablehook
        self._saved = (hooks, previous_handler, previous_unraisable)
        original_finaliser: Callable[[AsyncGenerator[Any, Any]], object] | None = hooks.finalizer

        def finaliser(agen: AsyncGenerator[Any, Any]) -> None:
            frame = getattr(agen, "ag_frame", None)
            module = frame.f_globals.get("__name__", "?") if frame is not None else "?"
            code = getattr(agen, "ag_code", None)
            self.finalised.append(f"{module}.{getattr(code, 'co_qualname', '?')}")
            if original_finaliser is not None:
                original_finaliser(agen)

        def on_loop_error(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            self.loop_errors.append(f"{context.get('message')}: {context.get('exception')!r}")

        def on_unraisable(info: Any) -> None:
            self.unraisable.append(f"{info.err_msg}: {info.exc_value!r} ({info.object!r})")

        # The finaliser is read when a generator first runs, so this covers generators started
        # from here on: enter before the streams start.
        sys.set_asyncgen_hooks(firstiter=hooks.firstiter, finalizer=finaliser)
        loop.set_exception_handler(on_loop_error)
        sys.unraisablehook = on_unraisable
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # Let finaliser tasks and closing connections run before the hooks are put back.
        for _ in range(self.settle_rounds):
            gc.collect()
            await asyncio.sleep(0.05)
        hooks, handler, unraisable = self._saved
        sys.set_asyncgen_hooks(firstiter=hooks.firstiter, finalizer=hooks.finalizer)
        asyncio.get_running_loop().set_exception_handler(handler)
        sys.unraisablehook = unraisable

    def leaked(self) -> list[str]:
        """Our generators that the garbage collector had to close (in a task of its own)."""
        return [name for name in self.finalised if name.startswith(self.modules)]

    def problems(self, extra_text: str = "") -> list[str]:
        """Everything that should not have happened; `extra_text` is captured log/stderr text."""
        found = [f"closed by the GC, not by its owner: {name}" for name in self.leaked()]
        found += [f"loop error: {e}" for e in self.loop_errors]
        found += [f"unraisable: {u}" for u in self.unraisable]
        found += [f"log says {bad!r}" for bad in BAD_TEXT if bad in extra_text]
        return found
