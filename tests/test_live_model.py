"""The default path, proven on every CI run: the embedded model really starts and answers."""

from __future__ import annotations

import httpx
import numpy as np
import pytest
from click.testing import CliRunner

from interviewer.cli.main import main
from interviewer.llm.provider import LLMRuntime, Role
from interviewer.llm.state_reader import decode_vector

pytestmark = pytest.mark.live


def test_embedded_server_answers_through_langchain_openai(live_runtime: LLMRuntime) -> None:
    assert live_runtime.model_check is not None and live_runtime.model_check.verified
    for server in live_runtime.servers.values():
        assert server.healthy()
        assert server.base_url.startswith("http://127.0.0.1:")
    model = live_runtime.chat_model(Role.INTERVIEWER, temperature=0, max_tokens=40)
    reply = model.invoke(
        [("system", "You are a job interviewer. Reply with one short question."), ("human", "Hi, I'm ready.")]
    )
    assert isinstance(reply.content, str) and len(reply.content.strip()) > 5


def test_max_tokens_is_enforced_by_the_embedded_server(live_runtime: LLMRuntime) -> None:
    model = live_runtime.chat_model(Role.EVALUATOR, temperature=0, max_tokens=5)
    reply = model.invoke("Count from one to fifty in words, separated by commas.")
    assert reply.response_metadata.get("finish_reason") == "length"


def test_streaming_yields_several_chunks(live_runtime: LLMRuntime) -> None:
    model = live_runtime.chat_model(Role.INTERVIEWER, temperature=0, max_tokens=30, streaming=True)
    chunks = [c.content for c in model.stream("Count from one to ten in words, separated by commas.")]
    assert len([c for c in chunks if c]) > 2


def test_doctor_passes_on_the_real_model(live_runtime: LLMRuntime) -> None:
    result = CliRunner().invoke(main, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "matches the pin" in result.output and "cl100k_base, o200k_base" in result.output


def test_server_is_gone_after_stop() -> None:
    from interviewer.config import load_settings

    runtime = LLMRuntime(load_settings(local_separate_evaluator=False)).start()
    url = runtime.base_url()
    runtime.stop()
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{url}/models", timeout=2)


def test_server_settings_in_the_environment_cannot_reach_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """`PORT=8123 make run` once made llama.cpp's server bind the app's port: it reads its
    settings from unprefixed environment variables. The child must not see them."""
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    from interviewer.config import load_settings
    from interviewer.llm.local import LLAMA_SERVER_ENV_NAMES, server_environment

    fields = set(ServerSettings.model_fields) | set(ModelSettings.model_fields)
    assert fields <= LLAMA_SERVER_ENV_NAMES
    assert server_environment({"PORT": "1", "api_key": "x", "HOME": "/root"}) == {"HOME": "/root"}
    monkeypatch.setenv("PORT", "1")  # a port nobody may bind: it would fail if the server read it
    monkeypatch.setenv("API_KEY", "would-demand-a-key")
    runtime = LLMRuntime(load_settings(local_separate_evaluator=False)).start()
    try:
        reply = runtime.chat_model(temperature=0, max_tokens=5).invoke("Say hi.")
        assert reply.content
    finally:
        runtime.stop()


async def test_the_reader_scores_a_better_and_a_worse_answer_on_the_real_model(live_runtime: LLMRuntime) -> None:
    """The app's own choice of evaluator on the live embedded model: the reader (a head for this
    model ships), one read per answer, better above worse on the pair's dimension."""
    from interviewer.evaluation.reader import ReaderEvaluator
    from interviewer.evaluation.scorer import make_evaluator
    from interviewer.session import Dimension, EvalStatus

    evaluator = make_evaluator(live_runtime)
    assert isinstance(evaluator, ReaderEvaluator)
    question = "Tell me about a time a release went wrong."
    better = ("In May I shipped a config change that doubled our API error rate for twenty minutes. I had "
              "skipped the canary because the change looked trivial, and that was my mistake. I found it by "
              "diffing the deployed config against the previous one, rolled it forward with the fix, and since "
              "then every config change goes through the same canary as code.")
    worse = ("A release went wrong once, but honestly it was not on me: the platform team's pipeline let it "
             "through and QA missed it. I handled it quickly as I always do, and it was resolved. I'm known "
             "as the person who never makes those kinds of mistakes, so it was mostly about cleaning up.")
    good = await evaluator.evaluate(question, better)
    bad = await evaluator.evaluate(question, worse)
    assert good.status is EvalStatus.OK and bad.status is EvalStatus.OK, (good.error, bad.error)
    assert good.scorer == bad.scorer == "reader"
    assert (good.score(Dimension.HONESTY) or 0) > (bad.score(Dimension.HONESTY) or 0), (good, bad)
    state_read = await evaluator.read(question, better)
    assert state_read.raw[Dimension.HONESTY] > (await evaluator.read(question, worse)).raw[Dimension.HONESTY]


async def test_a_read_that_extends_the_last_one_reads_only_its_new_words(live_runtime: LLMRuntime) -> None:
    """The evaluator's server keeps the last read's tokens and pooled states (llm/state_reader.py):
    the answer read after its own draft decodes only the words the draft lacked, and its states
    are the very states a fresh read gives, bit for bit."""
    from interviewer.evaluation.reader import ReaderEvaluator, load_reader_prompt
    from interviewer.evaluation.scorer import make_evaluator

    evaluator = make_evaluator(live_runtime)
    assert isinstance(evaluator, ReaderEvaluator)
    prompt = load_reader_prompt()
    question = "Tell me about a time a release went wrong."
    answer = ("In May I shipped a config change that doubled our API error rate for twenty minutes. I had "
              "skipped the canary because the change looked trivial. Since then every config change goes "
              "through the same canary as code.")
    other = prompt.request("What are you looking for in your next role?", "A team that ships often.")[0]
    await evaluator.source.read(other)  # the server now holds another question's read
    fresh = await evaluator.source.read(prompt.request(question, answer)[0])
    await evaluator.source.read(other)
    await evaluator.source.read(prompt.request(question, answer[: answer.index("Since") + 10])[0])
    extended = await evaluator.source.read(prompt.request(question, answer)[0])
    assert extended["tokens"] == fresh["tokens"]
    assert extended["decoded"] < fresh["decoded"] / 2, (extended["decoded"], fresh["decoded"])
    for key in ("pieces", "branches"):
        for a, b in zip(extended[key], fresh[key], strict=True):
            for part in ("mean", "last"):
                if b.get(part) is not None:
                    # Exactly: chunks aligned on positions make the decode history-free.
                    assert np.array_equal(decode_vector(a[part]), decode_vector(b[part]))
