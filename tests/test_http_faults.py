"""HTTP faults as unit tests: `make_chat_model` (and the evaluator on top of it) over an
`httpx.MockTransport`, so each fault is exact and instant. The loopback fault server
(`testkit.FakeLLMServer`) stays for end-to-end runs, soak tests and benchmarks.

make_chat_model takes no HTTP client, so the tests hand ChatOpenAI one through the provider module.
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import openai
import pytest
from langchain_openai import ChatOpenAI

from interviewer.evaluation.evaluator import AnswerEvaluator
from interviewer.evaluation.rubric import load_rubric
from interviewer.llm import provider
from interviewer.llm.provider import make_chat_model
from interviewer.resilience import user_message
from interviewer.session import EvalStatus

Handler = Callable[[httpx.Request], httpx.Response]
KEY = "sk-http-faults-Qx81"


def completion(content: str | None = None, tool_args: dict[str, str] | None = None) -> httpx.Response:
    message: dict[str, object] = {"role": "assistant", "content": content}
    if tool_args is not None:
        message["tool_calls"] = [{"id": "call_1", "type": "function",
                                  "function": {"name": "record_checks", "arguments": json.dumps(tool_args)}}]
    return httpx.Response(200, json={
        "id": "c1", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if tool_args else "stop"}],
    })


def sse(piece: str) -> bytes:
    chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "m",
             "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
    return f"data: {json.dumps(chunk)}\n\n".encode()


class Script:
    """Responses in order, one per request; records every request."""

    def __init__(self, *responses: httpx.Response | Exception) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(item, Exception):
            raise item
        return item


@pytest.fixture
def transport(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Handler], None]]:
    def install(handler: Handler) -> None:
        mock = httpx.MockTransport(handler)
        monkeypatch.setattr(provider, "ChatOpenAI", functools.partial(
            ChatOpenAI, http_client=httpx.Client(transport=mock), http_async_client=httpx.AsyncClient(transport=mock)))

    yield install


def chat(*, retries: int = 2, streaming: bool = False) -> ChatOpenAI:
    return make_chat_model(base_url="http://model.test/v1", api_key=KEY, model="m", openai_native=False,
                           timeout=5, max_retries=retries, streaming=streaming)


async def test_429_with_retry_after_is_retried(transport: Callable[[Handler], None]) -> None:
    script = Script(httpx.Response(429, headers={"retry-after": "0.01"}, json={"error": {"message": "slow down"}}),
                    completion("How did you find it?"))
    transport(script)
    reply = await chat().ainvoke("hi")
    assert reply.content == "How did you find it?" and len(script.requests) == 2


async def test_429_after_the_retries_names_the_rate_limit_without_the_key(transport: Callable[[Handler], None]) -> None:
    transport(Script(httpx.Response(429, headers={"retry-after": "0"}, json={"error": {"message": f"key {KEY}"}})))
    with pytest.raises(openai.RateLimitError) as caught:
        await chat(retries=1).ainvoke("hi")
    message = user_message(caught.value, [KEY])
    assert "429" in message and KEY not in message


async def test_500_is_reported_with_its_status(transport: Callable[[Handler], None]) -> None:
    script = Script(httpx.Response(500, json={"error": {"message": "boom"}}))
    transport(script)
    with pytest.raises(openai.InternalServerError) as caught:
        await chat(retries=1).ainvoke("hi")
    assert len(script.requests) == 2  # one retry, then the error
    assert "HTTP 500" in user_message(caught.value)


async def test_a_timeout_says_the_model_took_too_long(transport: Callable[[Handler], None]) -> None:
    transport(Script(httpx.ReadTimeout("read timed out")))
    with pytest.raises(openai.APITimeoutError) as caught:
        await chat(retries=0).ainvoke("hi")
    assert "too long" in user_message(caught.value)


async def test_a_cut_stream_is_a_lost_connection_after_the_first_words(transport: Callable[[Handler], None]) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield sse("How did ")
        yield sse("you ")
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")

    transport(lambda request: httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body()))
    received: list[str] = []
    with pytest.raises(Exception) as caught:
        async for chunk in chat(streaming=True).astream("hi"):
            received.append(str(chunk.content))
    assert "".join(received) == "How did you "
    assert user_message(caught.value).startswith("The connection to the model was lost")


# -- the evaluator never raises: every fault is an UNAVAILABLE evaluation with a reason -------------
ANSWER = ("The page took nine seconds. I ran EXPLAIN and saw a sequential scan, because the filter "
          "wrapped the date column in a function. I rewrote the filter and it now loads in 300 ms.")


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx.Response(200, content=b"{not json at all"), "Unexpected response type"),
        (httpx.Response(500, json={"error": {"message": "boom"}}), "500"),
        (httpx.ReadTimeout("read timed out"), "timed out"),
    ],
)
async def test_the_evaluator_turns_faults_into_unavailable(
    transport: Callable[[Handler], None], response: httpx.Response | Exception, reason: str
) -> None:
    transport(Script(response))
    evaluation = await AnswerEvaluator(chat(retries=0)).evaluate("How did you make a slow page faster?", ANSWER)
    assert evaluation.status is EvalStatus.UNAVAILABLE
    assert evaluation.error and reason in evaluation.error, evaluation.error


async def test_the_evaluator_scores_a_good_tool_call(transport: Callable[[Handler], None]) -> None:
    checks = {c.id: [1] for c in load_rubric().checks}  # every check cites sentence 1
    script = Script(completion(tool_args=checks))
    transport(script)
    evaluation = await AnswerEvaluator(chat(retries=0)).evaluate("How did you make a slow page faster?", ANSWER)
    assert evaluation.status is EvalStatus.OK, evaluation.error
    sent = json.loads(script.requests[0].content)
    assert sent["tools"][0]["function"]["name"] == "record_checks"
