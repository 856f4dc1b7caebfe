"""(1) App overhead per turn: time to the first streamed token through the engine minus the fake
model's own latency. Goal: median <= 5 ms.

The fake server runs in a subprocess (it must not share this process's GIL) with a fixed time to
first token; whatever the engine adds on top (prompt building, token counting, history trimming,
the SDK and loopback HTTP) is the overhead. A bare ChatOpenAI stream against the same server is
measured too, so the engine's own share is visible.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from _common import build_engine, emit, fake_chat, ms_stats

from testkit import FakeServerProcess
from testkit.drive import drive_interview, sample_answer

TTFT = 0.05


async def raw_client(url: str, n: int) -> tuple[list[float], float]:
    chat = fake_chat(url, streaming=True)
    firsts: list[float] = []
    cpu = time.process_time()
    for i in range(n):
        started = time.perf_counter()
        first = None
        async for chunk in chat.astream([("system", "You are an interviewer."), ("user", sample_answer(0, i))]):
            if first is None and chunk.content:
                first = time.perf_counter() - started
        if first is not None:
            firsts.append(first)
    return firsts, (time.process_time() - cpu) * 1000 / max(1, n)


async def through_engine(url: str, sessions: int, turns: int, with_evaluator: bool) -> tuple[list[float], int, float]:
    """First-token times per answer, errors, and this process's CPU ms per answer."""
    engine, library = build_engine(url, url if with_evaluator else None)
    # Single-interviewer personas only: a panellist's self-introduction is yielded before the
    # model is even called, which would make the "overhead" negative.
    personas = [p for p in library.all() if not p.is_panel]
    firsts: list[float] = []
    errors = answers = 0
    cpu = time.process_time()
    for s in range(sessions):
        session = engine.new_session(personas[s % len(personas)].id)
        result = await drive_interview(engine, session, [sample_answer(s, t) for t in range(turns)])
        firsts += [t.first_token for t in result.timings[1:] if t.first_token is not None]
        errors += len(result.crashes) + sum(1 for t in result.timings if t.error)
        answers += len(result.sent_answers)
        await engine.drain(session, timeout=60)
    return firsts, errors, (time.process_time() - cpu) * 1000 / max(1, answers)


async def run(sessions: int, turns: int) -> dict:
    with FakeServerProcess(ttft=TTFT) as fake:
        await raw_client(fake.url, 5)  # warm up connections and imports
        raw, cpu_raw = await raw_client(fake.url, sessions * turns)
        alone, errors_alone, cpu_alone = await through_engine(fake.url, sessions, turns, with_evaluator=False)
        full, errors_full, cpu_full = await through_engine(fake.url, sessions, turns, with_evaluator=True)
    over = lambda xs: [x - TTFT for x in xs]  # noqa: E731
    result = {
        "fake_ttft_ms": TTFT * 1000,
        "raw_client_overhead": ms_stats(over(raw)),
        "engine_overhead_no_evaluator": ms_stats(over(alone)),
        "engine_overhead_with_evaluator": ms_stats(over(full)),
        "cpu_ms_per_request_raw_client": round(cpu_raw, 2),
        "cpu_ms_per_answer_engine_no_evaluator": round(cpu_alone, 2),
        "cpu_ms_per_answer_engine_with_evaluator": round(cpu_full, 2),
        "errors": errors_alone + errors_full,
    }
    result["goal_median_le_5ms"] = result["engine_overhead_with_evaluator"]["median_ms"] <= 5
    return result


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--turns", type=int, default=30)
    args = parser.parse_args()
    return emit("overhead_per_turn", asyncio.run(run(args.sessions, args.turns)))


if __name__ == "__main__":
    main()
