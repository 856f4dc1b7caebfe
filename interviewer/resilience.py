"""Retries, deadlines and secret-safe error messages for model calls.

What the OpenAI SDK already does (configured from Settings by `make_chat_model`): retry 408/409/
429/5xx and connection errors `max_retries` times with backoff, honouring Retry-After, and an
httpx timeout per read. What it does not do, and why these helpers exist:

- Its timeout bounds each *read*, not the call: with the defaults (120 s, 2 retries) a hung
  server costs 3 x 120 s, and a stream that trickles one byte a minute never times out.
  `stream_with_deadlines` / `with_deadline` bound the time the candidate actually waits.
- A 200 response can still be unusable: tool-call arguments that are not JSON make
  `with_structured_output(..., method="function_calling")` return **None** (no error!), and a
  response with no choices raises IndexError inside langchain-openai. The SDK retries neither;
  `require_result` turns the None into an OutputParserException and `retry_transient` retries
  both like a 503.
- Error text may echo a key ("Incorrect API key provided: sk-ab***yz"); `user_message` and
  `redact` make sure what reaches a transcript or a log never carries one.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Iterable
from typing import Any, TypeVar

import httpx
import openai
from langchain_core.exceptions import OutputParserException
from langchain_core.runnables import Runnable, RunnableLambda

from interviewer.llm.local import LocalServerError

T = TypeVar("T")

# Worth another attempt: the next try may well succeed.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    openai.APIConnectionError,  # includes APITimeoutError and dropped connections
    openai.RateLimitError,
    openai.InternalServerError,  # any 5xx
    httpx.TransportError,  # a stream cut after the SDK handed it over
    OutputParserException,  # malformed tool-call JSON
    IndexError,  # langchain-openai on a response with no choices
    TimeoutError,
)


class ModelTimeout(TimeoutError):
    """The model took longer than the caller's deadline (not the SDK's per-read timeout)."""


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TRANSIENT_ERRORS)


def retry_transient(runnable: Runnable[Any, T], *, attempts: int = 3, initial_wait: float = 0.2,
                    max_wait: float = 5.0) -> Runnable[Any, T]:
    """`runnable.with_retry` for the failures the SDK does not retry itself (see module doc)."""
    return runnable.with_retry(
        retry_if_exception_type=TRANSIENT_ERRORS,
        wait_exponential_jitter=True,
        exponential_jitter_params={"multiplier": initial_wait, "max": max_wait, "jitter": initial_wait},
        stop_after_attempt=attempts,
    )


def _not_none(value: T | None) -> T:
    if value is None:
        raise OutputParserException("the model's tool call could not be parsed (no valid arguments)")
    return value


def require_result(structured: Runnable[Any, T | None]) -> Runnable[Any, T]:
    """Make a structured-output runnable raise instead of returning None on unreadable JSON."""
    return structured | RunnableLambda(_not_none)


async def with_deadline(awaitable: Awaitable[T], seconds: float | None, what: str = "the model") -> T:
    """Await with a hard deadline; raises ModelTimeout (a TimeoutError) naming `what`."""
    if seconds is None:
        return await awaitable
    try:
        return await asyncio.wait_for(awaitable, seconds)
    except TimeoutError as exc:
        raise ModelTimeout(f"{what} did not answer within {seconds:g} s") from exc


async def stream_with_deadlines(
    stream: AsyncIterator[T],
    *,
    first_item_timeout: float | None = None,
    idle_timeout: float | None = None,
    total_timeout: float | None = None,
    what: str = "the model",
) -> AsyncIterator[T]:
    """Re-yield `stream`, raising ModelTimeout when the first item, any gap between items, or the
    whole stream takes too long. The underlying stream is closed on timeout, which cancels the
    HTTP request instead of leaving it to finish in the background."""
    started = time.monotonic()
    first = True
    iterator = stream.__aiter__()
    try:
        while True:
            limits = [t for t in (first_item_timeout if first else idle_timeout,) if t is not None]
            if total_timeout is not None:
                limits.append(max(0.0, total_timeout - (time.monotonic() - started)))
            limit = min(limits) if limits else None
            try:
                # asyncio.timeout, not wait_for: wait_for runs __anext__ in a task of its own, so
                # the HTTP stream's cancel scopes would be entered and exited in different tasks.
                async with asyncio.timeout(limit):
                    item = await iterator.__anext__()
            except StopAsyncIteration:
                return
            except TimeoutError as exc:
                waited = time.monotonic() - started
                stage = "start answering" if first else "finish answering"
                raise ModelTimeout(f"{what} did not {stage} in time ({waited:.1f} s)") from exc
            first = False
            yield item
    finally:
        close = getattr(iterator, "aclose", None)
        if close is not None:
            try:
                await close()
            except Exception:  # closing a broken stream must not hide the original error
                pass


# -- secrets -----------------------------------------------------------------------------
_KEY_PATTERNS = [
    re.compile(r"\bsk-[A-Za-z0-9_\-*]{6,}"),  # OpenAI-style keys, also partially starred echoes
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-~+/=]{8,}"),
    re.compile(r"(?i)((?:api[_-]?key|authorization)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]{6,}"),
]
REDACTED = "[redacted]"


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Remove API keys (given explicitly or recognised by shape) from `text`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    for pattern in _KEY_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that scrubs keys from every record it sees (attach to handlers)."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message, self.secrets)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def _server_failure(exc: BaseException) -> str | None:
    """The embedded server's own account of its death, wherever the SDK wrapped it."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, LocalServerError):
            return str(current)
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def user_message(exc: BaseException, secrets: Iterable[str | None] = ()) -> str:
    """A short, secret-free sentence for the candidate saying what went wrong and what to do."""
    server_failure = _server_failure(exc)
    if server_failure is not None:
        return redact(f"{server_failure} Your answer is saved.", secrets)
    if isinstance(exc, (ModelTimeout, openai.APITimeoutError, TimeoutError)):
        text = "The model took too long to answer."
    elif isinstance(exc, openai.RateLimitError):
        text = "The model's service is rate-limiting us (HTTP 429)."
    elif isinstance(exc, openai.AuthenticationError):
        text = "The model's service refused the API key (HTTP 401); check OPENAI_API_KEY."
    elif isinstance(exc, openai.APIStatusError):
        text = f"The model's service returned an error (HTTP {exc.status_code})."
    elif isinstance(exc, (openai.APIConnectionError, httpx.TransportError)):
        text = "The connection to the model was lost."
    elif isinstance(exc, (OutputParserException, IndexError)):
        text = "The model sent a reply that could not be read."
    else:
        text = f"The model call failed ({type(exc).__name__})."
    return redact(text + " Your answer is saved; try again in a moment.", secrets)
