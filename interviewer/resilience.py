"""Retries, deadlines and secret-safe error messages for model calls.

What the OpenAI SDK already does (configured from Settings by `make_chat_model`): retry 408/409/
429/5xx and connection errors `max_retries` times with backoff, honouring Retry-After, and an
httpx timeout per read. What it does not do, and why these helpers exist:

- Its timeout bounds each *read*, not the call: with the defaults (120 s, 2 retries) a hung
  server costs 3 x 120 s, and a stream that trickles one byte a minute never times out.
  `stream_with_deadlines` bounds the time the candidate actually waits.
- Error text may echo a key ("Incorrect API key provided: sk-ab***yz"); `user_message` and
  `redact` make sure what reaches a transcript never carries one, and `log_to_file` attaches
  `RedactingFilter` to every handler, so neither does a log.
"""

from __future__ import annotations

import asyncio
import logging
import logging.handlers
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from pathlib import Path
from typing import TypeVar

import httpx
import openai
from langchain_core.exceptions import OutputParserException

from interviewer.llm.local import LocalServerError

T = TypeVar("T")


class ModelTimeout(TimeoutError):
    """The model took longer than the caller's deadline (not the SDK's per-read timeout)."""


async def stream_with_deadlines(
    stream: AsyncIterator[T],
    *,
    first_item_timeout: float | None = None,
    idle_timeout: float | None = None,
    total_timeout: float | None = None,
    what: str = "the model",
) -> AsyncGenerator[T, None]:
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
        if record.exc_info and not record.exc_text:  # tracebacks quote error texts too
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


LOG_FORMAT = "%(asctime)s %(levelname)s [%(name)s] %(message)s"
_OURS = "interviewer_log_file"


def log_to_file(path: Path, secrets: Iterable[str | None] = (), level: int = logging.INFO) -> logging.Handler:
    """Write this process's log records to `path` (rotated at 5 MB), keys redacted.

    The filter goes on the handlers, not on loggers: a logger's filter does not see records that
    propagate up from other loggers (openai, httpx), a handler's does. Handlers already on the
    root logger (a console) get the same filter. Returns the file handler."""
    path.parent.mkdir(parents=True, exist_ok=True)
    redacting = RedactingFilter(secrets)
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, _OURS, False):  # one log file per process: the latest settings win
            root.removeHandler(existing)
            existing.close()
            continue
        existing.filters = [f for f in existing.filters if not isinstance(f, RedactingFilter)]
        existing.addFilter(redacting)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=5_000_000, backupCount=2, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.setLevel(level)
    handler.addFilter(redacting)
    setattr(handler, _OURS, True)
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    return handler


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
