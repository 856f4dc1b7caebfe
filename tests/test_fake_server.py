"""The fake OpenAI-compatible server speaks the protocol ChatOpenAI expects, and misbehaves on cue."""

from __future__ import annotations

import time
from typing import Literal

import httpx
import pytest
from pydantic import BaseModel, Field

from interviewer.llm.provider import make_chat_model
from testkit import FakeLLMServer, FakeServerProcess, FaultPlan, Reply, ToolCall, minimal_instance


def model_for(url: str, *, streaming: bool = False, timeout: float = 5, retries: int = 0):
    return make_chat_model(base_url=url, api_key="sk-fake-test", model="fake-model", openai_native=False,
                           timeout=timeout, max_retries=retries, streaming=streaming)


class Quote(BaseModel):
    text: str
    dimension: Literal["honesty", "root_cause", "storytelling"]


class Verdict(BaseModel):
    answered: Literal["yes", "no"]
    score: int = Field(ge=1, le=5)
    quotes: list[Quote] = Field(min_length=1)
    note: str | None


@pytest.fixture
def fake():
    with FakeLLMServer() as server:
        yield server


def test_default_reply_is_a_question_and_the_request_is_recorded(fake: FakeLLMServer) -> None:
    reply = model_for(fake.url).invoke("Hello")
    assert reply.content.endswith("?")
    (request,) = fake.chat_requests()
    assert request.path == "/v1/chat/completions"
    assert request.body["model"] == "fake-model"
    assert request.messages[-1] == {"role": "user", "content": "Hello"}
    assert request.headers["authorization"] == "Bearer sk-fake-test"
    models = httpx.get(f"{fake.url}/models").json()
    assert models["data"][0]["id"] == "fake-model"


def test_yes_no_checks_get_a_plain_no(fake: FakeLLMServer) -> None:
    assert model_for(fake.url).invoke("Did the answer name a metric? Answer yes or no.").content == "No."


def test_streaming_sends_the_reply_in_pieces_after_the_first_token_delay(fake: FakeLLMServer) -> None:
    fake.ttft, fake.token_delay = 0.15, 0.01
    fake.text_replies.append("Why did the cache miss rate double that week?")
    started = time.perf_counter()
    chunks, first_at = [], None
    for chunk in model_for(fake.url, streaming=True).stream("go"):
        if chunk.content and first_at is None:
            first_at = time.perf_counter() - started
        chunks.append(chunk.content)
    assert "".join(chunks) == "Why did the cache miss rate double that week?"
    assert sum(1 for c in chunks if c) == 9
    assert first_at is not None and first_at >= 0.15
    assert fake.chat_requests()[0].body["stream"] is True


def test_tool_calls_get_a_minimal_object_valid_for_the_schema(fake: FakeLLMServer) -> None:
    verdict = model_for(fake.url).with_structured_output(Verdict, method="function_calling").invoke("judge")
    assert isinstance(verdict, Verdict)
    assert verdict.score == 1 and verdict.answered == "yes" and len(verdict.quotes) == 1
    assert fake.chat_requests()[0].body["tools"][0]["function"]["name"] == "Verdict"


def test_streamed_tool_calls_parse_too(fake: FakeLLMServer) -> None:
    fake.tool_replies.append({"answered": "no", "score": 4, "quotes": [{"text": "I", "dimension": "honesty"}],
                              "note": "short"})
    verdict = model_for(fake.url, streaming=True).with_structured_output(
        Verdict, method="function_calling").invoke("judge")
    assert verdict == Verdict(answered="no", score=4, quotes=[Quote(text="I", dimension="honesty")], note="short")


def test_scripts_and_responders_decide_replies(fake: FakeLLMServer) -> None:
    fake.text_replies.extend(["First?", Reply(content="Second?")])
    chat = model_for(fake.url)
    assert [chat.invoke("a").content, chat.invoke("b").content] == ["First?", "Second?"]
    fake.responder = lambda req: f"You said {req.last_user_text!r}?" if "echo" in req.last_user_text else None
    assert chat.invoke("echo me").content == "You said 'echo me'?"
    assert chat.invoke("other").content.endswith("?")  # responder declined: default question
    fake.responder = lambda req: Reply(tool_calls=[ToolCall("Verdict", '{"answered": "no", "score": 5, '
                                                   '"quotes": [{"text": "q", "dimension": "storytelling"}], '
                                                   '"note": null}')])
    verdict = chat.with_structured_output(Verdict, method="function_calling").invoke("judge")
    assert verdict.score == 5


def test_fault_schedule_then_seeded_rate_is_reproducible() -> None:
    plan = FaultPlan(schedule=["429", None, "drop"], rate=0.5, seed=7)
    first = [plan.next() for _ in range(40)]
    again = FaultPlan(schedule=["429", None, "drop"], rate=0.5, seed=7)
    assert [again.next() for _ in range(40)] == first
    assert first[:3] == ["429", None, "drop"]
    assert 8 < sum(1 for f in first[3:] if f) < 30
    assert "hang" not in first  # never random unless asked for
    with pytest.raises(ValueError, match="unknown fault"):
        FaultPlan(schedule=["explode"])


def test_error_faults_return_openai_style_errors(fake: FakeLLMServer) -> None:
    fake.faults = FaultPlan(schedule=["429", "500", "503"], retry_after=3)
    statuses = []
    for _ in range(3):
        response = httpx.post(f"{fake.url}/chat/completions", json={"model": "m", "messages": []})
        statuses.append(response.status_code)
        assert "message" in response.json()["error"]
    assert statuses == [429, 500, 503]
    assert [r.fault for r in fake.requests] == ["429", "500", "503"]


def test_bad_json_body_is_a_400_not_a_crash(fake: FakeLLMServer) -> None:
    response = httpx.post(f"{fake.url}/chat/completions", content=b"{nope")
    assert response.status_code == 400
    assert httpx.post(f"{fake.url}/chat/completions", json={"x": 1}).status_code == 400


def test_minimal_instance_follows_refs_and_unions() -> None:
    schema = Verdict.model_json_schema()
    assert Verdict.model_validate(minimal_instance(schema))
    assert minimal_instance({"type": "string", "minLength": 3}) == "xxx"
    assert minimal_instance({"type": ["null", "integer"], "exclusiveMinimum": 2}) == 3
    assert minimal_instance({"anyOf": [{"type": "null"}, {"enum": ["b", "a"]}]}) == "b"


def test_subprocess_mode_is_configured_over_http() -> None:
    with FakeServerProcess(text_replies=["Scripted?"], model="sub-model") as fake:
        chat = model_for(fake.url, retries=2)
        assert chat.invoke("hi").content == "Scripted?"
        fake.configure(faults=FaultPlan(schedule=["503"], retry_after=0.01))
        assert chat.invoke("again").content.endswith("?")
        requests = fake.chat_requests()
        assert [r.fault for r in requests] == [None, "503", None]
        assert requests[0].messages[-1]["content"] == "hi"
        assert httpx.get(f"{fake.url}/models").json()["data"][0]["id"] == "sub-model"
