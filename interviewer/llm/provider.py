"""The one way this project talks to a model: the OpenAI protocol through langchain-openai.

`LLMRuntime` turns settings into `ChatOpenAI` runnables, one per role. For the `local` backend it
first makes sure the embedded model exists and is verified, then starts llama.cpp's server(s).
Callers receive the runnable and pass it on; nothing reaches for a global model.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from enum import Enum
from types import TracebackType
from typing import Any

import httpx
import openai
from langchain_openai import ChatOpenAI

from interviewer.config import Backend, Settings
from interviewer.llm.local import LocalServer
from interviewer.llm.model_files import ModelCheck, ensure_model
from interviewer.llm.scheduler import ForegroundAsyncTransport, ForegroundGate, ForegroundTransport

# llama.cpp needs *some* bearer token; it checks none. Never a real key.
PLACEHOLDER_KEY = "sk-local-no-key-required"


class Role(str, Enum):
    INTERVIEWER = "interviewer"
    EVALUATOR = "evaluator"


# Alternatives per token the evaluator reads: a check's two continuations ("[]" and "[" plus a
# number) are nearly always among the first few.
EVALUATOR_TOP_LOGPROBS = 10


def make_chat_model(
    *,
    base_url: str | None,
    api_key: str | None,
    model: str,
    openai_native: bool,
    temperature: float = 0.7,
    max_tokens: int | None = None,
    timeout: float = 120.0,
    max_retries: int = 2,
    streaming: bool = False,
    before_request: Callable[[], None] | None = None,
    foreground: ForegroundGate | None = None,
) -> ChatOpenAI:
    """Build a ChatOpenAI for any OpenAI-protocol server.

    Non-OpenAI servers get the Chat Completions API (they don't implement Responses), and
    `max_tokens` inside the request body, because llama.cpp ignores `max_completion_tokens`.
    `before_request` runs before every HTTP request (in a worker thread for async calls): the
    embedded server's supervisor uses it to wait out a restart or fail with its reason, instead
    of letting the SDK retry a dead port. `foreground` is held while each request is in flight
    (the interviewer's requests pause the evaluator's server: llm/scheduler.py).
    """
    kwargs: dict[str, Any] = {
        "model": model,
        "api_key": api_key or PLACEHOLDER_KEY,
        "temperature": temperature,
        "timeout": timeout,
        "max_retries": max_retries,
        "streaming": streaming,
        # Off: langchain-openai bounds each streamed chunk with asyncio.wait_for, which on Python
        # 3.11 reads every chunk in a task of its own and can swallow a cancellation (the Stop
        # button) that lands as a chunk arrives. Our deadlines (resilience.stream_with_deadlines)
        # bound the stream in the caller's task instead.
        "stream_chunk_timeout": None,
    }
    if base_url:
        kwargs["base_url"] = base_url
    if before_request is not None or foreground is not None:
        kwargs.update(request_guard_clients(before_request, foreground))
    if openai_native:
        if max_tokens is not None:
            kwargs["max_tokens"] = max_tokens
    else:
        kwargs["use_responses_api"] = False
        kwargs["stream_usage"] = False
        if max_tokens is not None:
            kwargs["extra_body"] = {"max_tokens": max_tokens}
    return ChatOpenAI(**kwargs)


def request_guard_clients(
    check: Callable[[], None] | None, foreground: ForegroundGate | None = None
) -> dict[str, Any]:
    """The SDK's default httpx clients with `check` as a request hook (sync and async), and with
    transports that hold `foreground` while a request is in flight."""
    sync: dict[str, Any] = {}
    async_: dict[str, Any] = {}
    if check is not None:
        guard = check

        def hook(_request: httpx.Request) -> None:
            guard()

        async def async_hook(_request: httpx.Request) -> None:
            await asyncio.to_thread(guard)

        sync["event_hooks"] = {"request": [hook]}
        async_["event_hooks"] = {"request": [async_hook]}
    if foreground is not None:
        sync["transport"] = ForegroundTransport(foreground)
        async_["transport"] = ForegroundAsyncTransport(foreground)
    return {
        "http_client": openai.DefaultHttpxClient(**sync),
        "http_async_client": openai.DefaultAsyncHttpxClient(**async_),
    }


class LLMRuntime:
    """Owns the model servers for one process (app, CLI run or test session)."""

    def __init__(self, settings: Settings, progress: Callable[[str], None] = lambda _: None) -> None:
        self.settings = settings
        self.progress = progress
        self.model_check: ModelCheck | None = None
        self.servers: dict[Role, LocalServer] = {}
        # Set while the interviewer's and the evaluator's servers take turns (llm/scheduler.py).
        self.foreground: ForegroundGate | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> "LLMRuntime":
        s = self.settings
        if s.backend is not Backend.LOCAL or self.servers:
            return self
        self.model_check = ensure_model(s.cache_dir, s.model_path, s.model_wheels_dir, self.progress)
        roles = [Role.INTERVIEWER, Role.EVALUATOR] if s.local_separate_evaluator else [Role.INTERVIEWER]
        # Scheduled: every core for each server, as they never compute at once (the evaluator's is
        # paused while the interviewer's works). Otherwise split the cores between the servers so
        # the interviewer never queues behind the judge, and oversubscribed threads never spin.
        cores = os.cpu_count() or 1
        threads = s.local_threads or (cores if s.local_scheduled else max(1, cores // len(roles)))
        logs = s.cache_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        try:
            for role in roles:
                self.progress(f"starting the embedded model server for the {role.value}")
                server = LocalServer(
                    self.model_check.path,
                    n_ctx=s.local_n_ctx,
                    n_threads=threads,
                    alias=s.model_name,
                    startup_timeout=s.local_startup_timeout,
                    log_path=logs / f"llama-server-{role.value}.log",
                    cache_bytes=s.local_cache_bytes,
                    cache=s.local_prompt_cache(role.value),
                    role=role.value,
                    on_event=self.progress,
                    verbose=s.local_verbose,
                )
                self.servers[role] = server.start()
            if s.local_scheduled:
                evaluator = self.servers[Role.EVALUATOR]
                self.foreground = ForegroundGate(
                    lambda: evaluator.pid if evaluator.running() else None, on_event=self.progress
                )
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.foreground is not None:  # never stop (or leave behind) a frozen server
            self.foreground.close()
            self.foreground = None
        for server in self.servers.values():
            server.stop()
        self.servers.clear()

    def __enter__(self) -> "LLMRuntime":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def take_notices(self) -> list[str]:
        """What the user should hear about the model servers (a restart), each message once."""
        return [notice for server in self.servers.values() for notice in server.take_notices()]

    def _server(self, role: Role) -> LocalServer | None:
        return self.servers.get(role) or self.servers.get(Role.INTERVIEWER)

    # -- models ----------------------------------------------------------------------------
    def base_url(self, role: Role = Role.INTERVIEWER) -> str | None:
        s = self.settings
        if s.backend is Backend.LOCAL:
            server = self._server(role)
            if server is None:
                raise RuntimeError("LLMRuntime.start() must run before asking for a local model")
            return server.base_url
        return s.base_url

    def chat_model(
        self,
        role: Role = Role.INTERVIEWER,
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        streaming: bool = False,
    ) -> ChatOpenAI:
        s = self.settings
        default_temperature = 0.0 if role is Role.EVALUATOR else 0.7
        timeout = s.request_timeout
        if self.foreground is not None and role is Role.EVALUATOR:
            # A paused evaluator sends no byte: its read timeout must outlast the longest pause.
            timeout += self.foreground.max_pause
        return make_chat_model(
            base_url=self.base_url(role),
            api_key=s.secret_key(),
            model=s.evaluator_model_name if role is Role.EVALUATOR else s.model_name,
            openai_native=s.backend is Backend.OPENAI,
            temperature=default_temperature if temperature is None else temperature,
            max_tokens=max_tokens,
            timeout=timeout,
            max_retries=s.max_retries,
            streaming=streaming,
            before_request=self.guard(role),
            foreground=self.foreground if role is Role.INTERVIEWER else None,
        )

    @property
    def evaluator_top_logprobs(self) -> int | None:
        """What the evaluator should ask for with its judge's request (AnswerEvaluator
        `top_logprobs`): only that request carries it, so the other requests of the evaluator's
        role (report rewrites, the claim reader) are unchanged."""
        return EVALUATOR_TOP_LOGPROBS if self.settings.evaluator_logprobs else None

    def guard(self, role: Role) -> Callable[[], None] | None:
        server = self._server(role) if self.settings.backend is Backend.LOCAL else None
        return server.ensure_running if server is not None else None

    def describe(self) -> str:
        text = self.settings.describe()
        if self.model_check is not None:
            state = "sha256 verified" if self.model_check.verified else "custom GGUF, not pinned"
            text += f" ({self.model_check.path.name}, {state})"
        return text
