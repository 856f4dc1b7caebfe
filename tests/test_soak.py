"""Fault soak: 1,000+ answers across many concurrent sessions through the real engine and
evaluator, against the fake server injecting random faults on every kind of request.

Invariants (the product promise "a practice session never loses an hour of answers"):
- no exception escapes the engine (failures become NoticeEvents);
- every answer sent is in the session exactly once, in order; every turn id is unique;
- every evaluation is OK or UNAVAILABLE with its reason; none is left pending after drain;
- once the model is healthy again, retry_unavailable scores every UNAVAILABLE answer;
- each session still round-trips through JSON.
Heavier variants (longer interviews, latency) live in benchmarks/bench_soak.py.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter

import pytest

from interviewer.config import Settings
from interviewer.llm.provider import LLMRuntime, Role
from interviewer.interview.plan import EVALUATED_PHASES
from interviewer.session import EvalStatus, Session
from testkit import FakeServerProcess, FaultPlan
from testkit.drive import DriveResult, drive_interview, sample_answer

# 84 interviews x ~12-13 answers = 1,000+ answers, 2,100+ turns (answers + interviewer turns), in
# ~35 s: each answer costs ~25 ms of CPU here (engine + evaluator + OpenAI SDK). SOAK_SESSIONS=N
# scales it; benchmarks/bench_soak.py is the longer variant.
SESSIONS = int(os.environ.get("SOAK_SESSIONS", "84"))
ANSWERS_PER_SESSION = 30  # more than any plan needs: each interview runs until it closes
FAULT_RATE = 0.12
SEED = 20261123


def build_engine(fake: FakeServerProcess):
    from interviewer.interview.engine import InterviewEngine
    from interviewer.evaluation.evaluator import AnswerEvaluator
    from interviewer.interview.personas import PersonaLibrary

    # Short timeouts: a hang costs 2 s per attempt, not two minutes (not shorter: on a busy
    # 2-core CI machine a healthy reply can take a second when 80 sessions talk at once).
    settings = Settings(backend="openai-compatible", base_url=fake.url, model="soak-model",
                        api_key="sk-soak-not-a-real-key", request_timeout=2.0, max_retries=1)
    runtime = LLMRuntime(settings).start()
    interviewer = runtime.chat_model(Role.INTERVIEWER, streaming=True, max_tokens=120)
    evaluator = AnswerEvaluator(runtime.chat_model(Role.EVALUATOR, max_tokens=300), timeout=5)
    library = PersonaLibrary.load()
    # The engine queues evaluations through `evaluation_concurrency` slots (1 by default: one local
    # judge server). A hosted OpenAI-compatible backend takes many at once, as the fake does.
    return InterviewEngine(interviewer, library, evaluator, evaluation_concurrency=8), library


@pytest.fixture
def fake():
    # A subprocess, so the server does not compete with the engine for this process's GIL.
    with FakeServerProcess() as server:
        yield server


async def test_fault_soak_loses_nothing(fake: FakeServerProcess) -> None:
    started, cpu_started = time.perf_counter(), time.process_time()
    engine, library = build_engine(fake)
    personas = [p.id for p in library.all()]
    assert personas, library.errors
    fake.configure(faults=FaultPlan(rate=FAULT_RATE, seed=SEED, retry_after=0.005,
                                    kinds=("hang", "429", "500", "503", "drop", "bad_tool_json",
                                           "empty_choices")))
    landed: Counter[str] = Counter()

    async def on_evaluation(session: Session, turn) -> None:  # noqa: ANN001
        landed[turn.id] += 1

    async def one(index: int) -> DriveResult:
        session = engine.new_session(personas[index % len(personas)], user_id=f"user-{index % 7}")
        answers = [sample_answer(index, n) for n in range(ANSWERS_PER_SESSION)]
        result = await drive_interview(engine, session, answers, on_evaluation=on_evaluation)
        await engine.drain(session, timeout=120)
        return result

    results = await asyncio.gather(*(one(i) for i in range(SESSIONS)))
    soak_seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started

    requests = fake.chat_requests()
    faults = Counter(r.fault for r in requests if r.fault)
    assert sum(faults.values()) > 50, faults  # the faults really happened, of every kind
    assert set(faults) == {"hang", "429", "500", "503", "drop", "bad_tool_json", "empty_choices"}

    crashes = [exc for r in results for exc in r.crashes]
    assert crashes == [], f"{len(crashes)} exceptions escaped the engine, first: {crashes[:1]!r}"
    total_answers = sum(len(r.sent_answers) for r in results)
    total_turns = sum(len(r.session.turns) for r in results)
    assert total_turns >= 2 * total_answers >= 20 * SESSIONS

    unavailable = 0
    for result in results:
        session = result.session
        assert [t.text for t in session.answers()] == result.sent_answers  # none lost, none doubled
        ids = [t.id for t in session.turns]
        assert len(ids) == len(set(ids))
        assert session.finished, [(t.role, t.kind.value, t.text[:60]) for t in session.turns[-4:]]
        phases = {item.id: item.phase for item in session.plan}
        for answer in session.answers():
            evaluation = answer.evaluation
            if phases.get(answer.question_id or "") not in EVALUATED_PHASES:
                assert evaluation is None  # small talk and closing questions are not scored
                continue
            assert evaluation is not None and evaluation.status is not EvalStatus.PENDING, (
                answer.id, evaluation, engine.scoring.in_flight(session.id))
            if evaluation.status is EvalStatus.UNAVAILABLE:
                unavailable += 1
                assert evaluation.error and evaluation.scores() == {k: None for k in evaluation.scores()}
        assert Session.from_json(session.to_json()).model_dump() == session.model_dump()
    assert unavailable > 0  # some evaluations did fail; the next lines prove they recover
    scored = sum(1 for r in results for a in r.session.answers() if a.evaluation is not None)
    assert scored > 0.6 * total_answers
    assert sum(landed.values()) == scored and max(landed.values()) == 1  # once per scored answer

    fake.configure(faults=FaultPlan())  # the model is healthy again
    retried = await asyncio.gather(*(engine.retry_unavailable(r.session) for r in results))
    assert sum(retried) == unavailable
    for result in results:
        assert all(t.evaluation.status is EvalStatus.OK for t in result.session.answers() if t.evaluation)

    errors = sum(1 for r in results for t in r.timings if t.error)
    print(f"\nsoak: {total_answers} answers, {total_turns} turns in {SESSIONS} sessions, {soak_seconds:.1f} s, "
          f"({cpu_seconds:.1f} s CPU here), {len(requests)} requests, faults {dict(faults)}, "
          f"{errors} turns with an error notice, {unavailable} evaluations unavailable then retried")
