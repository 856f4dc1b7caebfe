"""The heavy fault soak (the CI one is tests/test_soak.py): more sessions, longer interviews,
real-ish latency and hangs, all at once. Reports crashes, lost/duplicated turns, unavailable
evaluations and whether retry_unavailable recovers every one.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter

from _common import emit

from interviewer.config import Settings
from interviewer.llm.provider import LLMRuntime, Role
from interviewer.session import EvalStatus
from testkit import FakeServerProcess, FaultPlan
from testkit.drive import DriveResult, drive_interview, sample_answer

KINDS = ("hang", "429", "500", "503", "drop", "bad_tool_json", "empty_choices")


async def run(sessions: int, answers: int, rate: float, seed: int) -> dict:
    from interviewer.interview.engine import InterviewEngine
    from interviewer.evaluation.evaluator import AnswerEvaluator
    from interviewer.interview.personas import PersonaLibrary

    with FakeServerProcess(ttft=0.02, token_delay=0.001) as fake:
        fake.configure(faults=FaultPlan(rate=rate, seed=seed, kinds=KINDS, retry_after=0.05))
        settings = Settings(backend="openai-compatible", base_url=fake.url, request_timeout=1.0, max_retries=1)
        runtime = LLMRuntime(settings).start()
        library = PersonaLibrary.load()
        engine = InterviewEngine(runtime.chat_model(Role.INTERVIEWER, streaming=True), library,
                                 AnswerEvaluator(runtime.chat_model(Role.EVALUATOR), timeout=10),
                                 evaluation_concurrency=8)

        async def one(i: int) -> DriveResult:
            session = engine.new_session(library.all()[i % len(library.all())].id, user_id=f"u{i % 13}")
            result = await drive_interview(engine, session, [sample_answer(i, t) for t in range(answers)])
            await engine.drain(session, timeout=300)
            return result

        started = time.perf_counter()
        results = await asyncio.gather(*(one(i) for i in range(sessions)))
        wall = time.perf_counter() - started
        faults = Counter(r.fault for r in fake.chat_requests() if r.fault)
        unavailable = sum(1 for r in results for a in r.session.answers()
                          if a.evaluation and a.evaluation.status is EvalStatus.UNAVAILABLE)
        # Answers in unscored phases (small talk, closing) carry no evaluation at all.
        scored = sum(1 for r in results for a in r.session.answers() if a.evaluation)
        pending = sum(1 for r in results for a in r.session.answers()
                      if a.evaluation and a.evaluation.status is EvalStatus.PENDING)
        fake.configure(faults=FaultPlan())
        retried = sum(await asyncio.gather(*(engine.retry_unavailable(r.session) for r in results)))
        still_bad = sum(1 for r in results for a in r.session.answers()
                        if a.evaluation and a.evaluation.status is not EvalStatus.OK)
    return {
        "sessions": sessions, "answers": sum(len(r.sent_answers) for r in results),
        "turns": sum(len(r.session.turns) for r in results), "wall_seconds": round(wall, 1),
        "faults_injected": dict(faults),
        "crashes": sum(len(r.crashes) for r in results),
        "sessions_with_lost_or_duplicated_turns": sum(
            1 for r in results if [a.text for a in r.session.answers()] != r.sent_answers),
        "turns_with_error_notice": sum(1 for r in results for t in r.timings if t.error),
        "evaluations": scored, "evaluations_unavailable": unavailable, "evaluations_pending_after_drain": pending,
        "retried_ok": retried, "not_ok_after_retry": still_bad,
    }


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--answers", type=int, default=30)
    parser.add_argument("--rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    return emit("fault_soak_heavy", asyncio.run(run(args.sessions, args.answers, args.rate, args.seed)))


if __name__ == "__main__":
    main()
