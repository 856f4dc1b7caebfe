"""(2) The evaluator is off the critical path: time to the next question with an evaluator that is
much slower than the interviewer, versus no evaluator at all. Goal: ratio <= 1.05.

Two fake servers (subprocesses): the interviewer's answers in 50 ms + 5 ms per piece, the
evaluator's takes 1.5 s to first token. The candidate answers the moment a question is complete,
so unfinished evaluations pile up behind them: the worst case for blocking.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics

from _common import build_engine, emit, ms_stats

from testkit import FakeServerProcess
from testkit.drive import drive_interview, sample_answer


async def measure(interviewer_url: str, evaluator_url: str | None, sessions: int, turns: int) -> tuple[list[float], int]:
    engine, library = build_engine(interviewer_url, evaluator_url)
    done: list[float] = []
    errors = 0
    for s in range(sessions):
        session = engine.new_session(library.all()[s % len(library.all())].id)
        result = await drive_interview(engine, session, [sample_answer(s, t) for t in range(turns)])
        done += [t.question_done for t in result.timings[1:] if t.question_done is not None]
        errors += len(result.crashes) + sum(1 for t in result.timings if t.error)
        await engine.drain(session, timeout=120)
    return done, errors


async def run(sessions: int, turns: int) -> dict:
    with FakeServerProcess(ttft=0.05, token_delay=0.005) as interviewer, \
            FakeServerProcess(ttft=1.5, token_delay=0.01) as evaluator:
        await measure(interviewer.url, None, 1, 3)  # warm-up
        without, e1 = await measure(interviewer.url, None, sessions, turns)
        with_eval, e2 = await measure(interviewer.url, evaluator.url, sessions, turns)
        evaluator_calls = len(evaluator.chat_requests())
    ratio = statistics.median(with_eval) / statistics.median(without)
    return {
        "interviewer_fake": "ttft 50 ms + 5 ms/piece", "evaluator_fake": "ttft 1500 ms + 10 ms/piece",
        "next_question_without_evaluator": ms_stats(without),
        "next_question_with_slow_evaluator": ms_stats(with_eval),
        "median_ratio": round(ratio, 3),
        "evaluator_requests": evaluator_calls,
        "errors": e1 + e2,
        "goal_ratio_le_1.05": ratio <= 1.05,
    }


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=3)
    parser.add_argument("--turns", type=int, default=15)
    args = parser.parse_args()
    return emit("evaluator_off_critical_path", asyncio.run(run(args.sessions, args.turns)))


if __name__ == "__main__":
    main()
