"""Streams that stop early close in their own task (issue 14, item 6).

Each test starts a real streamed question from the loopback fake server (real HTTP, SSE, httpx
connection pool) and stops it the ways the app does: the engine stops reading once the question
is complete, the consumer stops listening (its screen failed), the candidate presses Stop (the
task is cancelled while waiting for a token, or while showing one), or a deadline cuts a slow
stream. A test fails if any generator of ours was left for the garbage collector to close (which
closes it in a task of its own), if the loop or `sys.unraisablehook` saw an error, or if
`async generator ignored GeneratorExit` / `cancel scope in a different task` shows up in the log
or on stderr.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from contextlib import aclosing

import pytest

from interviewer.interview.engine import InterviewEngine
from interviewer.interview.events import Event, TokenEvent, TurnEvent
from interviewer.interview.personas import PersonaLibrary
from interviewer.llm.provider import make_chat_model
from interviewer.session import Session
from testkit import FakeLLMServer
from testkit.hygiene import StreamHygiene

LONG = " ".join(["and then we looked at the queue depth again"] * 40) + ". What did you measure?"


class ConsumerFailed(Exception):
    """The screen failed while showing a token (e.g. the socket went away)."""


@pytest.fixture
def fake() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(token_delay=0.01) as server:
        yield server


def engine_for(fake: FakeLLMServer, **kw: float) -> tuple[InterviewEngine, Session]:
    model = make_chat_model(base_url=fake.url, api_key="sk-test", model="fake-model",
                            openai_native=False, streaming=True, max_retries=0)
    personas = PersonaLibrary.load()
    engine = InterviewEngine(model, personas, **kw)  # type: ignore[arg-type]
    return engine, engine.new_session("dour-cto", seed=1)


async def model_tokens(events: AsyncGenerator[Event, None], limit: int) -> list[Event]:
    """Read until `limit` streamed tokens after the greeting (which comes before the model call)."""
    seen: list[Event] = []
    async for event in events:
        seen.append(event)
        if sum(isinstance(e, TokenEvent) for e in seen) > limit:
            break
    return seen


async def check(run: Callable[[], Awaitable[None]], caplog: pytest.LogCaptureFixture,
                capfd: pytest.CaptureFixture[str]) -> StreamHygiene:
    caplog.set_level(logging.WARNING)
    async with StreamHygiene() as hygiene:
        await run()
    problems = hygiene.problems(caplog.text + capfd.readouterr().err)
    assert not problems, problems
    return hygiene


async def test_the_engine_stops_reading_once_the_question_is_complete(
    fake: FakeLLMServer, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    fake.text_replies.append("What did you measure first? " + LONG)
    engine, session = engine_for(fake)

    seen: list[Event] = []

    async def run() -> None:
        async with aclosing(engine.open(session)) as events:
            async for event in events:
                seen.append(event)

    await check(run, caplog, capfd)
    # one question kept; the rest of the reply never read (events and requests shown if not)
    assert len(session.questions()) == 1, (seen[-3:], len(fake.chat_requests()), session.turns)


async def test_the_consumer_stops_listening_mid_stream(
    fake: FakeLLMServer, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    fake.text_replies.append(LONG)
    engine, session = engine_for(fake)

    async def run() -> None:
        with pytest.raises(ConsumerFailed):
            async with aclosing(engine.open(session)) as events:
                await model_tokens(events, 2)
                raise ConsumerFailed

    await check(run, caplog, capfd)
    assert not session.questions()  # cut short: nothing was recorded as asked


@pytest.mark.parametrize("busy", [False, True], ids=["waiting-for-a-token", "showing-a-token"])
async def test_stop_cancels_the_task_mid_stream(
    busy: bool, fake: FakeLLMServer, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """Chainlit's Stop button cancels the handler's task wherever it is waiting."""
    fake.text_replies.append(LONG)
    engine, session = engine_for(fake)
    streaming = asyncio.Event()

    async def handler() -> None:
        async with aclosing(engine.open(session)) as events:
            async for event in events:
                if isinstance(event, TokenEvent) and not event.text.startswith("Let's"):
                    streaming.set()
                    if busy:
                        await asyncio.sleep(30)  # e.g. sending the token to the browser

    async def run() -> None:
        task = asyncio.create_task(handler())
        await asyncio.wait_for(streaming.wait(), 10)
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    await check(run, caplog, capfd)
    assert not session.questions()


async def test_a_deadline_cuts_a_slow_stream(
    fake: FakeLLMServer, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    fake.token_delay = 0.05
    fake.text_replies.append(LONG)
    engine, session = engine_for(fake, total_timeout=0.5)
    events_seen: list[Event] = []

    async def run() -> None:
        async with aclosing(engine.open(session)) as events:
            async for event in events:
                events_seen.append(event)

    await check(run, caplog, capfd)
    assert not any(isinstance(e, TurnEvent) for e in events_seen)
    assert "too long" in str(events_seen[-1])  # the candidate is told, and nothing leaked


def test_langchain_per_chunk_timeout_is_off() -> None:
    """Its asyncio.wait_for reads each chunk in another task and, on Python 3.11, can swallow the
    Stop button's cancellation (the waiting-for-a-token case above failed 2 runs in 3 with it)."""
    model = make_chat_model(base_url="http://127.0.0.1:9/v1", api_key="sk-test", model="m",
                            openai_native=False, streaming=True)
    assert not model.stream_chunk_timeout


async def test_the_guard_sees_a_stream_left_to_the_garbage_collector(fake: FakeLLMServer) -> None:
    """The check itself: an engine generator abandoned mid-stream (no aclosing) is caught."""
    fake.text_replies.append(LONG)
    engine, session = engine_for(fake)
    async with StreamHygiene() as hygiene:
        with pytest.raises(ConsumerFailed):
            async for event in engine.open(session):
                if isinstance(event, TokenEvent) and not event.text.startswith("Let's"):
                    raise ConsumerFailed
    assert any("InterviewEngine.open" in name for name in hygiene.leaked()), hygiene.finalised
