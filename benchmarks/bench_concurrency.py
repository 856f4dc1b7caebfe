"""(4) 100 concurrent sessions in one process against the fake server (subprocess), with the
evaluator on. Overhead = time to first token minus the fake's 50 ms. Goal: p95 <= 50 ms, no errors.

`--think S` makes each candidate pause a random 0.5-1.5 x S seconds before answering (people
read and type); `--think 0` is the stress case where all 100 answer instantly, every turn.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from _common import build_engine, emit, ms_stats

from testkit import FakeServerProcess
import random

from testkit.drive import DriveResult, drive_interview, sample_answer

TTFT = 0.05


async def run(sessions: int, turns: int, think: float) -> dict:
    with FakeServerProcess(ttft=TTFT, token_delay=0.002) as fake:
        engine, library = build_engine(fake.url, fake.url)
        personas = library.all()

        async def one(i: int) -> DriveResult:
            session = engine.new_session(personas[i % len(personas)].id, user_id=f"u{i}")
            rng = random.Random(i)
            pause = (lambda: think * rng.uniform(0.5, 1.5)) if think else None
            if think:  # people don't all arrive in the same millisecond
                await asyncio.sleep(rng.uniform(0, think))
            result = await drive_interview(engine, session, [sample_answer(i, t) for t in range(turns)],
                                           think=pause)
            await engine.drain(session, timeout=120)
            return result

        started = time.perf_counter()
        results = await asyncio.gather(*(one(i) for i in range(sessions)))
        wall = time.perf_counter() - started
        requests = len(fake.chat_requests())
    firsts = [t.first_token - TTFT for r in results for t in r.timings[1:] if t.first_token is not None]
    errors = sum(len(r.crashes) + sum(1 for t in r.timings if t.error) for r in results)
    lost = sum(1 for r in results if [a.text for a in r.session.answers()] != r.sent_answers)
    stats = ms_stats(firsts)
    return {
        "sessions": sessions, "turns_per_session": turns, "think_seconds": think, "wall_seconds": round(wall, 2),
        "requests": requests, "overhead": stats, "errors": errors, "sessions_with_lost_turns": lost,
        "goal_p95_le_50ms_no_errors": stats["p95_ms"] <= 50 and errors == 0 and lost == 0,
    }


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--turns", type=int, default=8)
    parser.add_argument("--think", type=float, default=5.0)
    args = parser.parse_args()
    return emit("concurrent_sessions", asyncio.run(run(args.sessions, args.turns, args.think)))


if __name__ == "__main__":
    main()
