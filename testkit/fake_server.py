"""A loopback OpenAI-compatible model server for tests, end-to-end runs and benchmarks.

Why a real HTTP server and not a fake chat model: retries, timeouts, dropped streams and the
exact bytes of the prompt only exist on the wire. This server speaks enough of the Chat
Completions protocol for `langchain_openai.ChatOpenAI` (non-streaming, SSE streaming, tool calls,
`/v1/models`) and lets a test decide, per request, how it misbehaves:

- latency: time to first token (`ttft`) and a delay per streamed piece (`token_delay`);
- faults (`FaultPlan`): `hang`, `429` (with Retry-After), `500`, `503`, `drop` (connection closed
  mid-body), `bad_tool_json` (tool-call arguments that are not JSON; tool requests only) and
  `empty_choices`, chosen by a schedule and/or a seeded random rate;
- replies: a callable `responder(ChatRequest)`, queues of scripted text/tool replies, then
  defaults: an interview question ending in "?" for text requests, and for tool requests a
  minimal object that validates against the requested tool's JSON schema.

Three ways to run it:
- `with FakeLLMServer() as fake:` — uvicorn in a background thread of this process; configure it
  by attribute (`fake.text_replies.append(...)`, `fake.faults = FaultPlan(...)`).
- `with FakeServerProcess(ttft=0.05) as fake:` — a subprocess (no shared GIL: for benchmarks);
  configured over HTTP (`fake.configure(...)`, `fake.requests()`).
- `python -m testkit.fake_server --port 8099` from the repository root (`server_command(...)`
  gives an argv that works from anywhere) — for the browser tests:
  `INTERVIEWER_BACKEND=openai-compatible INTERVIEWER_BASE_URL=http://127.0.0.1:8099/v1`.

The admin endpoints (`/_fake/config`, `/_fake/requests`, `/_fake/reset`) work in every mode.
"""

from __future__ import annotations

import argparse
import json
import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import uvicorn

from testkit.fake_app import FakeState, ShutdownAwareServer, bind_socket, build_app, uvicorn_config
from testkit.fake_protocol import (
    DEFAULT_RANDOM_FAULTS,
    FAULT_KINDS,
    ChatRequest,
    FaultPlan,
    RecordedRequest,
    Reply,
    ScriptItem,
    ToolCall,
    minimal_instance,
)

__all__ = [
    "FAULT_KINDS",
    "ChatRequest",
    "FakeLLMServer",
    "FakeServerProcess",
    "FakeState",
    "FaultPlan",
    "RecordedRequest",
    "Reply",
    "ToolCall",
    "minimal_instance",
    "server_command",
]

# -- in-process server ----------------------------------------------------------------------
class FakeLLMServer(FakeState):
    """The fake server on a free 127.0.0.1 port, served by uvicorn in a daemon thread."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, **config: Any) -> None:
        super().__init__(**config)
        self.host = host
        self._port = port
        self._sock: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._sock is None:
            raise RuntimeError("FakeLLMServer is not started")
        return int(self._sock.getsockname()[1])

    @property
    def url(self) -> str:
        """The base URL to give an OpenAI client (ends in /v1)."""
        return f"http://{self.host}:{self.port}/v1"

    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def start(self) -> "FakeLLMServer":
        if self._thread is not None:
            return self
        self.stopping.clear()
        self._sock = bind_socket(self.host, self._port)
        self._server = uvicorn.Server(uvicorn_config(build_app(self)))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name="fake-llm-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the fake LLM server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = None

    def __enter__(self) -> "FakeLLMServer":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


# -- subprocess server -------------------------------------------------------------------
class FakeServerProcess:
    """The same server in a child process (so benchmarks don't share the GIL with it)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, startup_timeout: float = 15.0,
                 **config: Any) -> None:
        self.host = host
        self.port = port or _free_port(host)
        self.startup_timeout = startup_timeout
        self.initial_config = config
        self._proc: subprocess.Popen[bytes] | None = None
        self._client = httpx.Client(timeout=10)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    @property
    def root(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "FakeServerProcess":
        if self._proc is not None:
            return self
        self._proc = subprocess.Popen(
            server_command("--host", self.host, "--port", str(self.port), "--quiet"),
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                if self._client.get(f"{self.url}/models").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the fake LLM server process did not start")
            time.sleep(0.05)
        if self.initial_config:
            self.configure(**self.initial_config)
        return self

    def configure(self, **config: Any) -> None:
        """Same keys as FakeState.configure; `faults` may be a FaultPlan or a dict."""
        payload = dict(config)
        if isinstance(payload.get("faults"), FaultPlan):
            payload["faults"] = payload["faults"].to_dict()
        for key in ("text_replies", "tool_replies"):
            if key in payload:
                payload[key] = [_reply_payload(x) for x in payload[key]]
        response = self._client.post(f"{self.root}/_fake/config", json=payload)
        response.raise_for_status()

    def requests(self) -> list[RecordedRequest]:
        response = self._client.get(f"{self.root}/_fake/requests")
        response.raise_for_status()
        return [RecordedRequest.from_dict(r) for r in response.json()]

    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests() if r.path.endswith("/chat/completions")]

    def reset(self) -> None:
        self._client.post(f"{self.root}/_fake/reset").raise_for_status()

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def __enter__(self) -> "FakeServerProcess":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        self._client.close()


def _reply_payload(item: ScriptItem) -> Any:
    if isinstance(item, Reply):
        return {"__reply__": True, "content": item.content,
                "tool_calls": [{"name": c.name, "arguments": c.arguments} for c in item.tool_calls]}
    return item


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


# -- command line -----------------------------------------------------------------------------
def server_command(*args: str) -> list[str]:
    """The argv that runs this server in a new interpreter, from any working directory: testkit is
    not installed (it stays out of the wheel), so `python -m testkit.fake_server` only works from
    the repository root."""
    root = str(Path(__file__).resolve().parent.parent)
    boot = f"import sys; sys.path.insert(0, {root!r}); from testkit.fake_server import main; raise SystemExit(main())"
    return [sys.executable, "-c", boot, *args]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m testkit.fake_server",
        description="A loopback OpenAI-compatible fake model server (scripted replies, latency, faults).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed)")
    parser.add_argument("--model", default="fake-model")
    parser.add_argument("--ttft", type=float, default=0.0, help="seconds before the first token")
    parser.add_argument("--token-delay", type=float, default=0.0, help="seconds between streamed pieces")
    parser.add_argument("--faults", default="", help="comma-separated schedule, e.g. '429,,drop' ('' = none)")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--fault-kinds", default=",".join(DEFAULT_RANDOM_FAULTS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--retry-after", type=float, default=0.0)
    parser.add_argument("--reply", action="append", default=[], help="a scripted text reply (repeatable)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    try:
        plan = FaultPlan(
            schedule=[k or None for k in args.faults.split(",")] if args.faults else [],
            rate=args.fault_rate,
            kinds=tuple(k for k in args.fault_kinds.split(",") if k),
            seed=args.seed,
            retry_after=args.retry_after,
        )
    except ValueError as exc:
        parser.error(str(exc))
    state = FakeState(model=args.model, ttft=args.ttft, token_delay=args.token_delay, faults=plan,
                      text_replies=args.reply)
    sock = bind_socket(args.host, args.port)
    if not args.quiet:
        print(f"FAKE_LLM_URL=http://{args.host}:{sock.getsockname()[1]}/v1", flush=True)
    logging.basicConfig(level=logging.WARNING)
    server = ShutdownAwareServer(uvicorn_config(build_app(state)), state)
    try:
        server.run(sockets=[sock])
    finally:
        state.stopping.set()
        sock.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
