"""Failures at the HTTP boundary over `httpx.MockTransport` (the helpers of tests/test_http_faults.py,
which also covers a cut stream and a timeout's message): retries, the configured timeout on each
request, deadlines on a slow stream, the switch to an OpenAI-compatible URL by configuration alone;
and keys kept out of messages and logs. No server: every fault is exact and instant.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable

import httpx
import openai
import pytest
from langchain_openai import ChatOpenAI

from interviewer.config import Settings
from interviewer.llm.provider import LLMRuntime, Role, make_chat_model
from interviewer.resilience import ModelTimeout, RedactingFilter, log_to_file, redact, stream_with_deadlines, user_message
from test_http_faults import Handler, Script, completion, sse, transport  # noqa: F401 (transport: a fixture)

KEY = "sk-resilience-Zq8Xv3"
URL = "http://model.test/v1"  # never dialled: the mock transport answers


def chat(*, timeout: float = 5, retries: int = 2, streaming: bool = False) -> ChatOpenAI:
    return make_chat_model(base_url=URL, api_key=KEY, model="fake-model", openai_native=False,
                           timeout=timeout, max_retries=retries, streaming=streaming)


def streamed(*pieces: str) -> httpx.Response:
    body = b"".join(sse(piece) for piece in pieces) + b"data: [DONE]\n\n"
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)


def error(status: int) -> httpx.Response:
    return httpx.Response(status, headers={"retry-after": "0.01"}, json={"error": {"message": f"HTTP {status}"}})


async def test_sdk_retries_429_and_503_then_succeeds(transport: Callable[[Handler], None]) -> None:
    script = Script(error(429), error(503), completion("What happened next?"))
    transport(script)
    reply = await chat().ainvoke("hi")
    assert reply.content == "What happened next?"
    assert len(script.requests) == 3


async def test_retries_run_out_into_a_catchable_rate_limit_error(transport: Callable[[Handler], None]) -> None:
    script = Script(error(429))
    transport(script)
    with pytest.raises(openai.RateLimitError) as caught:
        await chat(retries=2).ainvoke("hi")
    assert len(script.requests) == 3
    message = user_message(caught.value, [KEY])
    assert "429" in message and KEY not in message


async def test_the_configured_timeout_goes_with_every_request(transport: Callable[[Handler], None]) -> None:
    """httpx enforces the timeout a request carries; ours must be the one it carries."""
    script = Script(httpx.ReadTimeout("read timed out"))
    transport(script)
    with pytest.raises(openai.APITimeoutError) as caught:
        await chat(timeout=0.3, retries=1).ainvoke("hi")
    assert len(script.requests) == 2
    assert all(set(r.extensions["timeout"].values()) == {0.3} for r in script.requests)
    assert "too long" in user_message(caught.value)


async def test_stream_deadlines_for_first_token_and_gaps(transport: Callable[[Handler], None]) -> None:
    # Margins are wide (seconds, not milliseconds) so a busy CI machine cannot flip the outcome.
    async def slow_start(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(3.0)
        return streamed("Late?")

    async def gap() -> AsyncIterator[bytes]:
        yield sse("one ")
        await asyncio.sleep(3.0)
        yield sse("two")

    transport(slow_start)  # type: ignore[arg-type]  # MockTransport awaits an async handler
    started = time.perf_counter()
    with pytest.raises(ModelTimeout, match="start answering"):
        async for _ in stream_with_deadlines(chat(streaming=True).astream("hi"), first_item_timeout=0.3):
            pass
    assert time.perf_counter() - started < 2.5
    transport(lambda request: httpx.Response(200, headers={"content-type": "text/event-stream"}, content=gap()))
    pieces = []
    with pytest.raises(ModelTimeout, match="finish answering"):
        async for chunk in stream_with_deadlines(chat(streaming=True).astream("hi"),
                                                 first_item_timeout=2.5, idle_timeout=0.3):
            pieces.append(chunk.content)
    assert "one" in "".join(map(str, pieces))
    transport(Script(streamed("Fine?")))
    out = [c.content async for c in stream_with_deadlines(chat(streaming=True).astream("x"),
                                                           first_item_timeout=5, total_timeout=10)]
    assert "".join(map(str, out)) == "Fine?"


def answer_by_mode(sent: list[httpx.Request]) -> Handler:
    """Streams "a b c d?" word by word to a streaming request, answers it whole otherwise."""

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if json.loads(request.content).get("stream"):
            return streamed("a ", "b ", "c ", "d?")
        return completion("a b c d?")

    return handle


def test_configuration_alone_switches_to_an_openai_compatible_url(transport: Callable[[Handler], None]) -> None:
    sent: list[httpx.Request] = []
    transport(answer_by_mode(sent))
    settings = Settings(backend="openai-compatible", base_url=URL, model="served-model",
                        evaluator_model="judge-model", api_key=KEY, request_timeout=5, max_retries=0)
    runtime = LLMRuntime(settings).start()
    assert runtime.servers == {}  # nothing local was started
    interviewer = runtime.chat_model(Role.INTERVIEWER, streaming=True)
    evaluator = runtime.chat_model(Role.EVALUATOR)
    assert "".join(str(c.content) for c in interviewer.stream("hi")).endswith("?")
    evaluator.invoke("judge")
    first, second = sent
    assert str(first.url) == str(second.url) == f"{URL}/chat/completions"
    bodies = [json.loads(r.content) for r in sent]
    assert (bodies[0]["model"], bodies[1]["model"]) == ("served-model", "judge-model")
    assert bodies[0]["stream"] is True and not bodies[1].get("stream")
    assert first.headers["authorization"] == f"Bearer {KEY}"
    assert "served-model" in runtime.describe() and KEY not in runtime.describe()


def test_streaming_false_means_astream_does_not_stream(transport: Callable[[Handler], None]) -> None:
    """A trap worth pinning: the engine must ask for streaming=True to get tokens as they come."""
    transport(answer_by_mode([]))
    assert len(list(chat(streaming=False).stream("x"))) == 1
    assert len([c for c in chat(streaming=True).stream("x") if c.content]) == 4


def test_redaction_of_keys_in_text_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    assert KEY not in redact(f"failed with {KEY} and Bearer abcdefghijkl", [KEY])
    assert "abcdefghijkl" not in redact("Authorization: Bearer abcdefghijkl")
    assert redact("Incorrect API key provided: sk-ab***********yz.") == "Incorrect API key provided: [redacted]."
    assert redact("no secrets here, sketch-pad") == "no secrets here, sketch-pad"
    logger = logging.getLogger("test.redaction")
    handler_filter = RedactingFilter([KEY])
    logger.addFilter(handler_filter)
    try:
        with caplog.at_level(logging.INFO, logger="test.redaction"):
            logger.info("calling with key %s", KEY)
    finally:
        logger.removeFilter(handler_filter)
    assert caplog.records and KEY not in caplog.text and "[redacted]" in caplog.text


def test_the_log_file_never_holds_a_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "logs" / "interviewer.log"
    handler = log_to_file(path, [KEY])
    try:
        # A library logger, as openai/httpx would log it, and a traceback that quotes the key.
        logging.getLogger("openai._base_client").warning("request failed: Incorrect API key provided: %s", KEY)
        try:
            raise RuntimeError(f"401 for {KEY} with Authorization: Bearer abcdefghijkl")
        except RuntimeError:
            logging.getLogger("interviewer.test").exception("model call failed")
        handler.flush()
    finally:
        logging.getLogger().removeHandler(handler)
        for other in logging.getLogger().handlers:
            other.filters = [f for f in other.filters if not isinstance(f, RedactingFilter)]
        handler.close()
    text = path.read_text(encoding="utf-8")
    assert "request failed" in text and "model call failed" in text and "RuntimeError" in text
    assert KEY not in text and "abcdefghijkl" not in text and text.count("[redacted]") >= 3
