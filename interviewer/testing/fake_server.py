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
- `python -m interviewer.testing.fake_server --port 8099` — for the browser tests:
  `INTERVIEWER_BACKEND=openai-compatible INTERVIEWER_BASE_URL=http://127.0.0.1:8099/v1`.

The admin endpoints (`/_fake/config`, `/_fake/requests`, `/_fake/reset`) work in every mode.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict, dataclass, field
from types import TracebackType
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

FAULT_KINDS: tuple[str, ...] = (
    "hang", "429", "500", "503", "drop", "bad_tool_json", "empty_choices", "401",
)
# `hang` is left out of random faults by default: every hang costs the client its full timeout;
# `401` too: it is not transient (it echoes a masked key the way api.openai.com does).
DEFAULT_RANDOM_FAULTS: tuple[str, ...] = ("429", "500", "503", "drop", "bad_tool_json", "empty_choices")

DEFAULT_QUESTIONS: tuple[str, ...] = (
    "Thanks for joining us today. To start, could you tell me a bit about yourself?",
    "What are you working on at the moment, and what business problem does it solve?",
    "How did you find the root cause of that problem?",
    "Why did that happen in the first place?",
    "What did you change so that it cannot happen again?",
    "What was your part in that, exactly, as opposed to the team's?",
    "Tell me about a mistake you made. What did you learn from it?",
    "Tell me about a time you disagreed with a colleague. How did you resolve it?",
    "What impact did that have, in time, money or risk?",
    "Do you have any questions for us?",
)

_YES_NO = re.compile(r"\byes\s*(?:or|/)\s*no\b", re.IGNORECASE)
_PIECES = re.compile(r"\s*\S+")

log = logging.getLogger(__name__)


# -- data ------------------------------------------------------------------------------------------
@dataclass
class ToolCall:
    name: str
    arguments: dict[str, Any] | str  # a str is sent verbatim (lets a test send broken JSON)

    def arguments_json(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass
class Reply:
    """One scripted answer. `content` for text; `tool_calls` for function calling."""

    content: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)

    @property
    def finish_reason(self) -> str:
        return "tool_calls" if self.tool_calls else "stop"


ScriptItem = str | dict[str, Any] | Reply
"""A str is text content; a dict is the arguments of a call to the requested tool."""


@dataclass
class RecordedRequest:
    """What arrived at the server (kept so tests can assert on the real prompt and headers)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    fault: str | None
    received_at: float

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", [])) if isinstance(self.body, dict) else []

    @property
    def prompt_text(self) -> str:
        """All message contents joined: what the model has to read for this request."""
        return "\n".join(_content_text(m.get("content")) for m in self.messages)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RecordedRequest":
        return cls(**data)


@dataclass
class ChatRequest:
    """A parsed chat-completions request, handed to a `responder`."""

    index: int  # 0-based count of chat requests this server has seen
    body: dict[str, Any]

    @property
    def model(self) -> str:
        return str(self.body.get("model") or "fake-model")

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages") or [])

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))

    @property
    def system_text(self) -> str:
        return "\n".join(_content_text(m.get("content")) for m in self.messages if m.get("role") == "system")

    @property
    def last_user_text(self) -> str:
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return _content_text(message.get("content"))
        return ""

    @property
    def tool(self) -> dict[str, Any] | None:
        """The function the client asked for (named `tool_choice`, else the first tool)."""
        tools = [t.get("function", {}) for t in self.body.get("tools") or [] if isinstance(t, dict)]
        choice = self.body.get("tool_choice")
        if not tools or choice == "none":
            return None
        if isinstance(choice, dict):
            wanted = (choice.get("function") or {}).get("name")
            for tool in tools:
                if tool.get("name") == wanted:
                    return tool
        return tools[0]


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


# -- faults ------------------------------------------------------------------------------------
@dataclass
class FaultPlan:
    """Which fault (if any) each chat request gets: the schedule first, then a seeded coin."""

    schedule: list[str | None] = field(default_factory=list)
    rate: float = 0.0
    kinds: tuple[str, ...] = DEFAULT_RANDOM_FAULTS
    seed: int = 0
    retry_after: float = 0.0  # seconds, sent as Retry-After (the OpenAI SDK honours it)
    hang_seconds: float = 3600.0  # a hang ends early when the server stops

    def __post_init__(self) -> None:
        unknown = {k for k in [*self.schedule, *self.kinds] if k is not None} - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kind(s) {sorted(unknown)}; known: {', '.join(FAULT_KINDS)}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("fault rate must be between 0 and 1")
        self.kinds = tuple(self.kinds)
        self._queue: deque[str | None] = deque(self.schedule)
        self._rng = random.Random(self.seed)

    def next(self) -> str | None:
        if self._queue:
            return self._queue.popleft()
        if self.rate and self.kinds and self._rng.random() < self.rate:
            return self._rng.choice(self.kinds)
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "schedule": list(self._queue),
            "rate": self.rate,
            "kinds": list(self.kinds),
            "seed": self.seed,
            "retry_after": self.retry_after,
            "hang_seconds": self.hang_seconds,
        }


# -- JSON schema → minimal valid instance ------------------------------------------------------
def minimal_instance(schema: dict[str, Any], root: dict[str, Any] | None = None, depth: int = 0) -> Any:
    """A small value that validates against `schema` (enough for pydantic/function calling).

    Picks the first enum value / const / default, the minimum for numbers, "" (or padding to
    minLength) for strings, `minItems` copies for arrays and every property for objects.
    """
    root = root if root is not None else schema
    if depth > 20:
        return None
    if "$ref" in schema:
        return minimal_instance(_resolve_ref(schema["$ref"], root), root, depth + 1)
    if "enum" in schema and schema["enum"]:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
            return minimal_instance(options[0], root, depth + 1)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(_resolve_ref(part["$ref"], root) if "$ref" in part else part)
        return minimal_instance(merged, root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "object":
        props = schema.get("properties", {})
        return {name: minimal_instance(sub, root, depth + 1) for name, sub in props.items()}
    if kind == "array":
        item_schema = schema.get("items") or {}
        return [minimal_instance(item_schema, root, depth + 1) for _ in range(int(schema.get("minItems", 0)))]
    if kind == "string":
        return "x" * int(schema.get("minLength", 0))
    if kind in ("integer", "number"):
        value: float = 0
        if "minimum" in schema:
            value = schema["minimum"]
        elif "exclusiveMinimum" in schema:
            value = schema["exclusiveMinimum"] + 1
        elif "maximum" in schema and schema["maximum"] < 0:
            value = schema["maximum"]
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return False
    return None


def _resolve_ref(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    node: Any = root
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


# -- the ASGI app -----------------------------------------------------------------------------
class _DeliberateDrop(Exception):
    """Raised inside a response body to make uvicorn close the connection mid-message."""


class _QuietDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], _DeliberateDrop))


def _install_log_filter() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietDrops) for f in logger.filters):
        logger.addFilter(_QuietDrops())


Responder = Callable[[ChatRequest], "ScriptItem | None"]


class FakeState:
    """Configuration and recordings, shared by the app and whoever controls it."""

    def __init__(
        self,
        *,
        model: str = "fake-model",
        ttft: float = 0.0,
        token_delay: float = 0.0,
        faults: FaultPlan | None = None,
        text_replies: Sequence[ScriptItem] = (),
        tool_replies: Sequence[ScriptItem] = (),
        responder: Responder | None = None,
        questions: Sequence[str] = DEFAULT_QUESTIONS,
    ) -> None:
        self.model = model
        self.ttft = ttft
        self.token_delay = token_delay
        self.faults = faults or FaultPlan()
        self.text_replies: deque[ScriptItem] = deque(text_replies)
        self.tool_replies: deque[ScriptItem] = deque(tool_replies)
        self.responder = responder
        self.questions = tuple(questions)
        self.requests: list[RecordedRequest] = []
        self.chat_count = 0
        self.stopping = threading.Event()

    # -- configuration over HTTP (process mode) --------------------------------------------
    def configure(self, data: dict[str, Any]) -> None:
        if "model" in data:
            self.model = str(data["model"])
        if "ttft" in data:
            self.ttft = float(data["ttft"])
        if "token_delay" in data:
            self.token_delay = float(data["token_delay"])
        if "faults" in data:
            self.faults = FaultPlan(**data["faults"])
        if "text_replies" in data:
            self.text_replies = deque(_script_item(x) for x in data["text_replies"])
        if "tool_replies" in data:
            self.tool_replies = deque(_script_item(x) for x in data["tool_replies"])
        if "questions" in data:
            self.questions = tuple(data["questions"])

    def reset(self) -> None:
        self.requests.clear()
        self.text_replies.clear()
        self.tool_replies.clear()
        self.faults = FaultPlan()
        self.chat_count = 0

    # -- replies ----------------------------------------------------------------------------
    def reply_for(self, request: ChatRequest) -> Reply:
        tool = request.tool
        item: ScriptItem | None = None
        if self.responder is not None:
            item = self.responder(request)
        if item is None:
            queue = self.tool_replies if tool else self.text_replies
            if queue:
                item = queue.popleft()
        if item is None:
            if tool is not None:
                item = minimal_instance(tool.get("parameters") or {})
            else:
                item = self.default_text(request)
        return _as_reply(item, tool)

    def default_text(self, request: ChatRequest) -> str:
        """A sensible interview question, so app flows work; "No." to a yes/no check."""
        if _YES_NO.search(request.last_user_text) or _YES_NO.search(request.system_text[-400:]):
            return "No."
        return self.questions[request.index % len(self.questions)]


def _script_item(raw: Any) -> ScriptItem:
    if isinstance(raw, dict) and raw.get("__reply__"):
        calls = [ToolCall(c["name"], c["arguments"]) for c in raw.get("tool_calls", [])]
        return Reply(content=raw.get("content"), tool_calls=calls)
    return raw  # type: ignore[no-any-return]


def _as_reply(item: ScriptItem, tool: dict[str, Any] | None) -> Reply:
    if isinstance(item, Reply):
        return item
    if isinstance(item, dict):
        name = (tool or {}).get("name", "tool")
        return Reply(tool_calls=[ToolCall(name, item)])
    return Reply(content=str(item))


def _error(status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return JSONResponse(body, status_code=status, headers=headers)


def build_app(state: FakeState) -> Starlette:
    """The Starlette app serving `state` (exposed so it can be mounted or served elsewhere)."""

    async def sleep(seconds: float) -> None:
        if seconds > 0:
            await asyncio.sleep(seconds)

    async def hang(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not state.stopping.is_set():
            await asyncio.sleep(0.05)

    def record(request: Request, body: Any, fault: str | None) -> None:
        state.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.url.path,
                headers={k.lower(): v for k, v in request.headers.items()},
                body=body,
                fault=fault,
                received_at=time.time(),
            )
        )

    async def models(request: Request) -> Response:
        record(request, None, None)
        return JSONResponse(
            {"object": "list", "data": [{"id": state.model, "object": "model", "created": 0, "owned_by": "fake"}]}
        )

    async def chat(request: Request) -> Response:
        try:
            raw = await request.body()
        except ClientDisconnect:  # the client gave up (its timeout) before sending the body
            return Response(status_code=499)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            record(request, None, None)
            return _error(400, "request body is not JSON", "invalid_request_error")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            record(request, body, None)
            return _error(400, "'messages' is required", "invalid_request_error")
        chat_request = ChatRequest(index=state.chat_count, body=body)
        state.chat_count += 1
        fault = state.faults.next()
        if fault == "bad_tool_json" and chat_request.tool is None:
            fault = None  # only meaningful for tool calls; a text request is served normally
        record(request, body, fault)
        plan = state.faults

        if fault == "hang":
            await hang(plan.hang_seconds)
            return _error(503, "server shutting down", "server_error")
        retry_headers = (
            {"retry-after": f"{plan.retry_after:g}", "retry-after-ms": str(int(plan.retry_after * 1000))}
            if plan.retry_after > 0 else {}
        )
        if fault == "429":
            return _error(429, "Rate limit reached (fake)", "rate_limit_error", retry_headers)
        if fault in ("500", "503"):
            return _error(int(fault), f"fake server error {fault}", "server_error", retry_headers)
        if fault == "401":
            auth = request.headers.get("authorization", "").removeprefix("Bearer ")
            masked = f"{auth[:3]}{'*' * max(0, len(auth) - 7)}{auth[-4:]}" if len(auth) > 8 else "***"
            return _error(401, f"Incorrect API key provided: {masked}. You can find your API key at "
                          "https://platform.openai.com/account/api-keys.", "invalid_request_error")

        reply = state.reply_for(chat_request)
        if fault == "bad_tool_json":
            name = reply.tool_calls[0].name if reply.tool_calls else (chat_request.tool or {}).get("name", "tool")
            reply = Reply(tool_calls=[ToolCall(name, '{"broken": tru, "x": [')])
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:12]}"
        created = int(time.time())
        model = chat_request.model
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        usage = _usage(chat_request, reply)

        if chat_request.stream:
            return StreamingResponse(
                _sse(completion_id, created, model, reply, fault, include_usage, usage),
                media_type="text/event-stream",
            )

        await sleep(state.ttft + state.token_delay * len(_pieces(reply)))
        if fault == "drop":
            return StreamingResponse(_dropped_body(), media_type="application/json")
        choices: list[dict[str, Any]] = []
        if fault != "empty_choices":
            message: dict[str, Any] = {"role": "assistant", "content": reply.content}
            if reply.tool_calls:
                message["tool_calls"] = [
                    {"id": f"call_{i}_{completion_id[-6:]}", "type": "function",
                     "function": {"name": c.name, "arguments": c.arguments_json()}}
                    for i, c in enumerate(reply.tool_calls)
                ]
            choices = [{"index": 0, "message": message, "finish_reason": reply.finish_reason, "logprobs": None}]
        return JSONResponse(
            {"id": completion_id, "object": "chat.completion", "created": created, "model": model,
             "choices": choices, "usage": usage}
        )

    async def _dropped_body() -> AsyncIterator[bytes]:
        yield b'{"id": "chatcmpl-dropped", "object": "chat.completion", "choi'
        raise _DeliberateDrop("fake fault: connection dropped mid-body")

    async def _sse(
        completion_id: str, created: int, model: str, reply: Reply, fault: str | None,
        include_usage: bool, usage: dict[str, int],
    ) -> AsyncIterator[bytes]:
        def chunk(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> bytes:
            payload: dict[str, Any] = {"id": completion_id, "object": "chat.completion.chunk",
                                       "created": created, "model": model}
            payload["choices"] = [] if delta is None else [
                {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]
            payload.update(extra)
            return f"data: {json.dumps(payload)}\n\n".encode()

        await sleep(state.ttft)
        if fault == "empty_choices":
            yield chunk(None)
            yield b"data: [DONE]\n\n"
            return
        pieces = _pieces(reply)
        cut = max(1, len(pieces) // 2) if fault == "drop" else None
        if reply.tool_calls:
            yield chunk({"role": "assistant", "content": None, "tool_calls": [
                {"index": i, "id": f"call_{i}_{completion_id[-6:]}", "type": "function",
                 "function": {"name": c.name, "arguments": ""}} for i, c in enumerate(reply.tool_calls)]})
        else:
            yield chunk({"role": "assistant", "content": ""})
        for n, (index, piece) in enumerate(pieces):
            if cut is not None and n == cut:
                raise _DeliberateDrop("fake fault: stream dropped")
            if n:
                await sleep(state.token_delay)
            if reply.tool_calls:
                yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
            else:
                yield chunk({"content": piece})
        if cut is not None:
            raise _DeliberateDrop("fake fault: stream dropped")
        yield chunk({}, reply.finish_reason)
        if include_usage:
            yield chunk(None, usage=usage)
        yield b"data: [DONE]\n\n"

    async def get_requests(request: Request) -> Response:
        return JSONResponse([asdict(r) for r in state.requests])

    async def post_config(request: Request) -> Response:
        try:
            state.configure(json.loads(await request.body() or b"{}"))
        except (ValueError, TypeError, KeyError) as exc:
            return _error(400, f"bad fake-server config: {exc}", "invalid_request_error")
        return JSONResponse({"ok": True, "faults": state.faults.to_dict()})

    async def post_reset(request: Request) -> Response:
        state.reset()
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/chat/completions", chat, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/_fake/requests", get_requests, methods=["GET"]),
            Route("/_fake/config", post_config, methods=["POST"]),
            Route("/_fake/reset", post_reset, methods=["POST"]),
        ]
    )


def _pieces(reply: Reply) -> list[tuple[int, str]]:
    """(tool index, piece) for streaming: words of the content or ~8-char slices of arguments."""
    if reply.tool_calls:
        out: list[tuple[int, str]] = []
        for i, call in enumerate(reply.tool_calls):
            args = call.arguments_json()
            out.extend((i, args[j : j + 8]) for j in range(0, len(args), 8))
        return out
    return [(0, p) for p in _PIECES.findall(reply.content or "")]


def _usage(request: ChatRequest, reply: Reply) -> dict[str, int]:
    # Word-ish counts: cheap, and only for clients that look at usage. Benchmarks count the
    # recorded prompt with interviewer.tokens instead.
    prompt = sum(len(_PIECES.findall(_content_text(m.get("content")))) for m in request.messages)
    completion = len(_pieces(reply))
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    """Ends pending hangs as soon as shutdown starts, so SIGTERM stops the process promptly."""

    def __init__(self, config: uvicorn.Config, state: FakeState) -> None:
        super().__init__(config)
        self.state = state

    def handle_exit(self, sig: int, frame: Any) -> None:
        self.state.stopping.set()
        super().handle_exit(sig, frame)


def _uvicorn_config(app: Starlette) -> uvicorn.Config:
    _install_log_filter()
    return uvicorn.Config(
        app, log_config=None, log_level="warning", access_log=False, lifespan="off",
        timeout_graceful_shutdown=1, backlog=512,
    )


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
        self._sock = _bind(self.host, self._port)
        self._server = uvicorn.Server(_uvicorn_config(build_app(self)))
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
            [sys.executable, "-m", "interviewer.testing.fake_server", "--host", self.host,
             "--port", str(self.port), "--quiet"],
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
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m interviewer.testing.fake_server",
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
    sock = _bind(args.host, args.port)
    if not args.quiet:
        print(f"FAKE_LLM_URL=http://{args.host}:{sock.getsockname()[1]}/v1", flush=True)
    logging.basicConfig(level=logging.WARNING)
    server = _Server(_uvicorn_config(build_app(state)), state)
    try:
        server.run(sockets=[sock])
    finally:
        state.stopping.set()
        sock.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
