"""Reading while the candidate types (issue 14): what the prewarm sends, when it does not, and
that the real request after Enter starts with exactly what was prewarmed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.messages import BaseMessage

from interviewer.cli.interview import read_answer
from interviewer.config import Backend, load_settings
from interviewer.interview.engine import InterviewEngine
from interviewer.interview.events import Event
from interviewer.interview.personas import PersonaLibrary
from interviewer.interview.prompt_assembly import NOTE_SEPARATOR, NOTE_TOKENS
from interviewer.llm.provider import make_chat_model
from interviewer.session import Session
from interviewer.tokens import count_tokens
from testkit.chat_model import FunctionChatModel
from test_http_faults import Handler, completion, sse, transport  # noqa: F401 (transport: a fixture)

LIBRARY = PersonaLibrary.load()
ANSWER = (
    "Last spring our routing API timed out every morning. I looked at the graphs and saw the pool was "
    "exhausted because a report query had no index. I added the index and moved the report to a replica."
)


def fake(delay: float = 0.0) -> FunctionChatModel:
    return FunctionChatModel(default=lambda _m: "What did you change so it cannot happen again?", delay=delay)


async def drain(events: AsyncIterator[Event]) -> list[Event]:
    return [e async for e in events]


async def opened(model: Any, *, prewarm: bool = True, persona: str = "dour-cto") -> tuple[InterviewEngine, Session]:
    engine = InterviewEngine(model, LIBRARY, prewarm=prewarm)
    session = engine.new_session(persona)
    await drain(engine.open(session))
    return engine, session


def text(messages: list[BaseMessage]) -> list[str]:
    return [str(m.content) for m in messages]


def is_prewarm(messages: list[BaseMessage]) -> bool:
    return not str(messages[-1].content).rsplit("\n", 1)[-1].startswith("As ")


# -- the prefix -------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["dour-cto", "friendly-team", "structured-panel"])
async def test_the_real_request_starts_with_the_prewarmed_draft_and_adds_only_a_short_note(persona: str) -> None:
    model = fake()
    engine, session = await opened(model, persona=persona)
    words = ANSWER.split()
    drafts = [" ".join(words[:n]) for n in (5, 20, len(words))]
    prefixes = [text(engine.prefix_messages(session, LIBRARY.get(persona), d)) for d in drafts]
    model.calls.clear()
    await drain(engine.reply(session, ANSWER))
    real = text(model.calls[0])
    for system, transcript in prefixes:
        assert real[0] == system and real[1].startswith(transcript)
    # After the whole draft only the note is new: short, and it says who speaks.
    rest = real[1][len(prefixes[-1][1]):]
    assert rest.startswith(NOTE_SEPARATOR) and count_tokens(rest) <= NOTE_TOKENS + 2
    assert rest.strip().startswith("As ")


async def test_every_note_of_an_interview_is_within_the_budget() -> None:
    for persona in ("dour-cto", "friendly-team", "structured-panel"):
        model = fake()
        engine, session = await opened(model, persona=persona)
        for i in range(12):
            await drain(engine.reply(session, ANSWER if i % 2 else "We fixed it."))
            if session.finished:
                break
        for call in model.calls:
            note = str(call[-1].content).rsplit(NOTE_SEPARATOR, 1)[1]
            assert count_tokens(note) <= NOTE_TOKENS, note


# -- when nothing is sent -----------------------------------------------------------------------
async def test_prewarm_off_sends_nothing() -> None:
    model = fake()
    engine, session = await opened(model, prewarm=False)
    before = len(model.calls)
    assert await engine.prewarm(session, "I was on call when") == "off"
    await engine.prewarm_settled(session)
    assert len(model.calls) == before and engine.prewarmer.sent == 0


def test_the_setting_never_turns_it_on_for_remote_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(backend=Backend.LOCAL).prewarm_enabled
    assert not load_settings(backend=Backend.LOCAL, prewarm=False).prewarm_enabled
    monkeypatch.setenv("INTERVIEWER_PREWARM", "0")
    assert not load_settings(backend=Backend.LOCAL).prewarm_enabled
    monkeypatch.setenv("INTERVIEWER_PREWARM", "1")
    remote = [
        load_settings(backend=Backend.OPENAI, openai_api_key="sk-test-not-real"),
        load_settings(backend=Backend.OPENAI_COMPATIBLE, base_url="http://127.0.0.1:9/v1"),
    ]
    assert not any(s.prewarm_enabled for s in remote)


async def test_nothing_to_prepare_unless_a_question_waits_for_an_answer() -> None:
    model = fake()
    engine = InterviewEngine(model, LIBRARY, prewarm=True)
    session = engine.new_session("dour-cto")
    assert await engine.prewarm(session, "hello") == "idle"  # not opened yet
    await drain(engine.open(session))
    session.finished = True
    assert await engine.prewarm(session, "hello") == "idle"
    assert engine.prewarmer.sent == 0


# -- one in flight ----------------------------------------------------------------------------
async def test_one_in_flight_per_session_and_intermediate_drafts_are_dropped() -> None:
    model = fake(delay=0.05)
    engine, session = await opened(model)
    model.calls.clear()
    statuses = [await engine.prewarm(session, d) for d in ("I was", "I was on call", "I was on call when it broke")]
    assert statuses == ["sent", "queued", "queued"]
    assert engine.prewarmer.in_flight(session.id)
    await engine.prewarm_settled(session)
    sent = [str(c[-1].content) for c in model.calls]
    assert len(sent) == 2 and sent[0].endswith("Candidate: I was") and sent[1].endswith("when it broke")
    assert not engine.prewarmer.in_flight(session.id)


async def test_sessions_do_not_share_a_flight() -> None:
    model = fake(delay=0.05)
    engine, first = await opened(model)
    second = engine.new_session("friendly-team")
    await drain(engine.open(second))
    assert [await engine.prewarm(s, "I think") for s in (first, second)] == ["sent", "sent"]
    await asyncio.gather(engine.prewarm_settled(first), engine.prewarm_settled(second))


async def test_the_real_request_drops_the_waiting_draft_and_none_starts_meanwhile() -> None:
    model = fake(delay=0.05)
    engine, session = await opened(model)
    model.calls.clear()
    assert await engine.prewarm(session, "Our invoices") == "sent"
    assert await engine.prewarm(session, "Our invoices were sent twice") == "queued"
    reply = asyncio.create_task(drain(engine.reply(session, ANSWER)))
    await asyncio.sleep(0)  # the reply has started: the answer is recorded
    assert await engine.prewarm(session, "Our invoices were sent twice because") in ("busy", "idle")
    await reply
    await engine.prewarm_settled(session)
    prewarms = [c for c in model.calls if is_prewarm(c)]
    assert [str(c[-1].content).rsplit(": ", 1)[-1] for c in prewarms] == ["Our invoices"]
    assert len(model.calls) == 2  # that prewarm and the real request


async def test_the_draft_is_never_stored_or_shown() -> None:
    model = fake()
    engine, session = await opened(model)
    before = session.to_json()
    await engine.prewarm(session, "SECRET-DRAFT the first half of my answer")
    await engine.prewarm_settled(session)
    assert engine.prewarmer.sent == 1
    assert session.to_json() == before
    assert "SECRET-DRAFT" in str(model.calls[-1][-1].content)  # it did reach the model


async def test_a_failed_prewarm_is_silent_and_the_interview_goes_on() -> None:
    model = fake()
    engine, session = await opened(model)
    model.queue(ConnectionError("refused"))
    assert await engine.prewarm(session, "I was") == "sent"
    await engine.prewarm_settled(session)  # no exception
    events = await drain(engine.reply(session, ANSWER))
    assert session.turns[-1].role == "interviewer" and events


# -- on the wire --------------------------------------------------------------------------------
async def test_on_the_wire_a_prewarm_asks_for_one_token_and_survives_a_server_error(
    transport: Callable[[Handler], None],
) -> None:
    bodies: list[dict[str, Any]] = []
    faults: list[int] = []

    def server(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        if faults:
            return httpx.Response(faults.pop(0), json={"error": {"message": "boom"}})
        question = "What did you change so it cannot happen again?"
        if bodies[-1].get("stream"):
            body = b"".join(sse(word + " ") for word in question.split()) + b"data: [DONE]\n\n"
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)
        return completion(question)

    transport(server)
    chat = make_chat_model(base_url="http://model.test/v1", api_key=None, model="m", openai_native=False,
                           streaming=True, max_retries=0)
    engine, session = await opened(chat)
    await engine.prewarm(session, "At my last job")
    await engine.prewarm_settled(session)
    body = bodies[-1]
    assert body["max_tokens"] == 1 and "max_completion_tokens" not in body
    assert body["messages"][-1]["content"].endswith("Candidate: At my last job")
    faults.append(500)
    await engine.prewarm(session, "At my last job we")
    await engine.prewarm_settled(session)  # the 500 is swallowed
    assert not faults  # it was sent
    await drain(engine.reply(session, ANSWER))
    assert session.turns[-1].role == "interviewer"


# -- the terminal -----------------------------------------------------------------------------
async def test_practice_prewarms_after_each_line_and_an_empty_line_sends() -> None:
    model = fake()
    engine, session = await opened(model)
    model.calls.clear()
    lines = iter(["Our invoices were sent twice.", "I keyed sends on the invoice id.", ""])
    answer = await read_answer(engine, session, lambda _prompt: next(lines))
    await engine.prewarm_settled(session)
    assert answer == "Our invoices were sent twice.\nI keyed sends on the invoice id."
    drafts = [str(c[-1].content) for c in model.calls]
    assert drafts and drafts[-1].endswith("Candidate: " + answer)
    commands = iter(["/end"])
    assert await read_answer(engine, session, lambda _prompt: next(commands)) == "/end"


# -- the interviewer's server -------------------------------------------------------------------
def test_a_prewarmed_interviewer_server_runs_without_the_ram_cache(tmp_path: Path) -> None:
    from interviewer.llm.local import LocalServer

    local = load_settings(backend=Backend.LOCAL)
    assert not local.local_prompt_cache("interviewer") and local.local_prompt_cache("evaluator")
    assert load_settings(backend=Backend.LOCAL, prewarm=False).local_prompt_cache("interviewer")
    assert load_settings(backend=Backend.LOCAL, local_separate_evaluator=False).local_prompt_cache("interviewer")
    assert load_settings(backend=Backend.LOCAL, local_interviewer_cache=True).local_prompt_cache("interviewer")
    command = LocalServer(tmp_path / "m.gguf", cache=False, verbose=True).command()
    assert command[command.index("--cache") + 1] == "False"
    assert command[command.index("--verbose") + 1] == "True"
