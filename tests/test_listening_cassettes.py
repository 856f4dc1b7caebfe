"""Issue 16's scenarios on recorded real output of the embedded model (vcrpy cassettes).

tests/data/listening_scenarios.jsonl holds six scripted interviews written for these tests (not
the benchmark's 23): small talk answered with an introduction, an admitted gap, small talk to the
CTO, a vague outage, an incident told early, an answer to a different question. They are played
through the real engine with the recorded model and judged by the same code as
benchmarks/bench_conversation.py (testkit.scripted). Probe kinds are decided in code;
what the recording adds is the model's wording, so these tests also check that every interviewer
line records where its words came from and that most are the model's.

Replays by default; `VCR_RECORD=1 pytest tests/test_listening_cassettes.py` re-records.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interviewer.cli.interview import INTERVIEWER_MAX_TOKENS
from interviewer.interview.cleanup import LEAK
from interviewer.interview.engine import InterviewEngine
from interviewer.interview.personas import PersonaLibrary
from interviewer.llm.provider import LLMRuntime, Role
from interviewer.session import Session, wording_shares
from testkit.scripted import judge, play

SCRIPTS = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "listening_scenarios.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_the_interviewer_listens_and_keeps_the_models_words(cassette_runtime: LLMRuntime, cassette_vcr) -> None:  # type: ignore[no-untyped-def]
    model = cassette_runtime.chat_model(Role.INTERVIEWER, max_tokens=INTERVIEWER_MAX_TOKENS, streaming=True)
    engine = InterviewEngine(model, PersonaLibrary.load())
    sessions: list[Session] = []
    misses: dict[str, list[str]] = {}
    with cassette_vcr.use_cassette("listening_scenarios.yaml"):
        for script in SCRIPTS:
            session = await play(engine, script)
            sessions.append(session)
            assert len(session.answers()) == len(script["answers"]), f"{script['id']} ended early (a model failure?)"
            if found := judge(session, script).misses():
                misses[script["id"]] = found
    assert misses == {}
    turns = [t for s in sessions for t in s.turns if t.role == "interviewer"]
    assert all(t.wording is not None for t in turns)
    assert not any(LEAK.search(t.text) for t in turns)
    shares = wording_shares(turns)
    # A guard against a collapse to templates, not the goal (0.8 on the benchmark's 99 lines,
    # benchmarks/conversation.md): recorded 0.61 on the long per-turn note, 0.39 on issue 14's
    # short one, 0.74 and 0.65 in two recordings with the rephrase-and-ask notes and up to three
    # draws (wording.resample).
    assert shares["model"] + shares["repaired"] >= 0.6, shares
