"""The fake model server's ASGI app: Chat Completions (plain, SSE, tool calls), `/v1/models`,
the faults, and the admin endpoints. (Running it: `fake_server`.)"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from testkit.fake_protocol import (
    DEFAULT_QUESTIONS,
    ChatRequest,
    FaultPlan,
    RecordedRequest,
    Reply,
    ScriptItem,
    ToolCall,
    content_text,
    minimal_instance,
)

_YES_NO = re.compile(r"\byes\s*(?:or|/)\s*no\b", re.IGNORECASE)
_PIECES = re.compile(r"\s*\S+")


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
    prompt = sum(len(_PIECES.findall(content_text(m.get("content")))) for m in request.messages)
    completion = len(_pieces(reply))
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def bind_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.set_inheritable(True)
    return sock


class ShutdownAwareServer(uvicorn.Server):
    """Ends pending hangs as soon as shutdown starts, so SIGTERM stops the process promptly."""

    def __init__(self, config: uvicorn.Config, state: FakeState) -> None:
        super().__init__(config)
        self.state = state

    def handle_exit(self, sig: int, frame: Any) -> None:
        self.state.stopping.set()
        super().handle_exit(sig, frame)


def uvicorn_config(app: Starlette) -> uvicorn.Config:
    _install_log_filter()
    return uvicorn.Config(
        app, log_config=None, log_level="warning", access_log=False, lifespan="off",
        timeout_graceful_shutdown=1, backlog=512,
    )
