"""Real HTTP failures against the fake server: retries, deadlines, dropped streams, config switch."""

from __future__ import annotations

import logging
import time

import httpx
import openai
import pytest

from interviewer.config import Settings
from interviewer.llm.provider import LLMRuntime, Role, make_chat_model
from interviewer.resilience import ModelTimeout, RedactingFilter, log_to_file, redact, stream_with_deadlines, user_message
from interviewer.testing import FakeLLMServer, FaultPlan

KEY = "sk-resilience-Zq8Xv3"


def chat(fake: FakeLLMServer, *, timeout: float = 5, retries: int = 2, streaming: bool = False):
    return make_chat_model(base_url=fake.url, api_key=KEY, model="fake-model", openai_native=False,
                           timeout=timeout, max_retries=retries, streaming=streaming)


@pytest.fixture
def fake():
    with FakeLLMServer() as server:
        yield server


async def test_sdk_retries_429_and_503_then_succeeds(fake: FakeLLMServer) -> None:
    fake.faults = FaultPlan(schedule=["429", "503"], retry_after=0.01)
    fake.text_replies.append("What happened next?")
    reply = await chat(fake).ainvoke("hi")
    assert reply.content == "What happened next?"
    assert [r.fault for r in fake.chat_requests()] == ["429", "503", None]


async def test_retries_run_out_into_a_catchable_rate_limit_error(fake: FakeLLMServer) -> None:
    fake.faults = FaultPlan(schedule=["429"] * 3, retry_after=0.01)
    with pytest.raises(openai.RateLimitError) as caught:
        await chat(fake, retries=2).ainvoke("hi")
    assert len(fake.chat_requests()) == 3
    message = user_message(caught.value, [KEY])
    assert "429" in message and KEY not in message


async def test_a_hang_times_out_cleanly(fake: FakeLLMServer) -> None:
    fake.faults = FaultPlan(schedule=["hang"])
    started = time.perf_counter()
    with pytest.raises(openai.APITimeoutError) as caught:
        await chat(fake, timeout=0.3, retries=0).ainvoke("hi")
    assert time.perf_counter() - started < 2
    assert "too long" in user_message(caught.value)


async def test_a_dropped_stream_raises_a_catchable_transient_error(fake: FakeLLMServer) -> None:
    fake.faults = FaultPlan(schedule=["drop"])
    fake.text_replies.append("How did you find the root cause of the outage last spring?")
    received: list[str] = []
    with pytest.raises(Exception) as caught:
        async for chunk in chat(fake, streaming=True).astream("hi"):
            received.append(str(chunk.content))
    assert isinstance(caught.value, (httpx.TransportError, openai.APIConnectionError))
    assert "".join(received).startswith("How did you") and not "".join(received).endswith("?")
    assert user_message(caught.value).startswith("The connection to the model was lost")


async def test_stream_deadlines_for_first_token_and_gaps(fake: FakeLLMServer) -> None:
    # Margins are wide (seconds, not milliseconds) so a busy CI machine cannot flip the outcome.
    fake.ttft = 3.0
    started = time.perf_counter()
    with pytest.raises(ModelTimeout, match="start answering"):
        async for _ in stream_with_deadlines(chat(fake, streaming=True).astream("hi"), first_item_timeout=0.3):
            pass
    assert time.perf_counter() - started < 2.5
    fake.ttft, fake.token_delay = 0.0, 3.0
    fake.text_replies.append("one two three four")
    pieces = []
    with pytest.raises(ModelTimeout, match="finish answering"):
        async for chunk in stream_with_deadlines(chat(fake, streaming=True).astream("hi"),
                                                 first_item_timeout=2.5, idle_timeout=0.3):
            pieces.append(chunk.content)
    assert "one" in "".join(map(str, pieces))
    fake.token_delay = 0.0
    fake.text_replies.append("Fine?")
    out = [c.content async for c in stream_with_deadlines(chat(fake, streaming=True).astream("x"),
                                                           first_item_timeout=5, total_timeout=10)]
    assert "".join(map(str, out)) == "Fine?"


def test_configuration_alone_switches_to_an_openai_compatible_url(fake: FakeLLMServer) -> None:
    settings = Settings(backend="openai-compatible", base_url=fake.url, model="served-model",
                        evaluator_model="judge-model", api_key=KEY, request_timeout=5, max_retries=0)
    runtime = LLMRuntime(settings).start()
    assert runtime.servers == {}  # nothing local was started
    interviewer = runtime.chat_model(Role.INTERVIEWER, streaming=True)
    evaluator = runtime.chat_model(Role.EVALUATOR)
    assert "".join(str(c.content) for c in interviewer.stream("hi")).endswith("?")
    evaluator.invoke("judge")
    first, second = fake.chat_requests()
    assert first.path == second.path == "/v1/chat/completions"
    assert (first.body["model"], second.body["model"]) == ("served-model", "judge-model")
    assert first.body["stream"] is True and "stream" not in second.body or not second.body.get("stream")
    assert first.headers["authorization"] == f"Bearer {KEY}"
    assert "served-model" in runtime.describe() and KEY not in runtime.describe()


def test_streaming_false_means_astream_does_not_stream(fake: FakeLLMServer) -> None:
    """A trap worth pinning: the engine must ask for streaming=True to get tokens as they come."""
    fake.text_replies.extend(["a b c d?", "a b c d?"])
    assert len(list(chat(fake, streaming=False).stream("x"))) == 1
    assert len([c for c in chat(fake, streaming=True).stream("x") if c.content]) == 4


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
