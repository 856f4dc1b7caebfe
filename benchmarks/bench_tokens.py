"""(3) Prompt tokens per turn over a 30-turn interview, counted on the prompts the engine really
sends (captured at the fake server), against the naive baseline of resending the whole history.
Goal: the prompt at turn 30 <= 1.5 x the prompt at turn 5 (history trimming keeps it flat).

Answers are ~140 words, a realistic spoken answer, so history grows ~200 tokens per exchange.
The personas' plans are lengthened to the most the question bank allows so the interview really
lasts 30 answers (the shipped plans close after ~13-17).
"""

from __future__ import annotations

import argparse
import asyncio

from _common import build_engine, emit, long_interview_library

from interviewer.tokens import PER_MESSAGE_OVERHEAD, count_tokens
from testkit import FakeServerProcess, RecordedRequest
from testkit.drive import drive_interview, sample_answer

TURNS = 30
# Vague on purpose (no cause, no numbers, no "I"), so the interviewer probes and the interview
# lasts long enough; alternated with the detailed sample answers.
VAGUE = ("We had some problems with the system at some point and the team worked on it together "
         "for a while. There were a lot of meetings and discussions about what to do, and in the end "
         "things got better after we changed a few things here and there. It was a good experience "
         "overall and everybody learned a lot from it. ")


def answer(turn: int, words: int) -> str:
    if turn % 2:
        text = " ".join((VAGUE * 4).split()[:words])
        return f"[t{turn}] {text}"
    return sample_answer(0, turn, words=words)


def message_tokens(messages: list[dict]) -> int:
    return sum(count_tokens(str(m.get("content") or "")) + PER_MESSAGE_OVERHEAD for m in messages)


def prompt_tokens(request: RecordedRequest) -> int:
    return message_tokens(request.messages)


def rendered(request: RecordedRequest) -> str:
    """The request as one text, roughly as a chat template lays it out for the model."""
    return "".join(f"<|{m.get('role')}|>{m.get('content') or ''}\n" for m in request.messages)


def reread_tokens(previous: RecordedRequest, current: RecordedRequest) -> int:
    """Tokens after the longest common *text* prefix with the previous request: what a llama.cpp
    server with a prefix cache has to read again. llama.cpp reuses the KV of the longest common
    token prefix, not of whole messages, so a transcript that only grows at its end is cheap even
    though it sits inside one (changed) message."""
    before, after = rendered(previous), rendered(current)
    shared = 0
    for a, b in zip(before, after):
        if a != b:
            break
        shared += 1
    return count_tokens(after[shared:])


async def run(words: int) -> dict:
    with FakeServerProcess() as fake:
        engine, library = build_engine(fake.url, None, long_interview_library())
        session = engine.new_session(library.all()[0].id)
        result = await drive_interview(engine, session, [answer(t, words) for t in range(TURNS + 10)])
        requests = [r for r in fake.chat_requests() if not r.body.get("tools")]
    # Request 0 opens the interview; request k answers candidate answer k (1-based).
    actual = [prompt_tokens(r) for r in requests]
    system = sum(count_tokens(str(m.get("content") or "")) + PER_MESSAGE_OVERHEAD
                 for m in requests[0].messages if m.get("role") == "system")
    naive: list[int] = []
    answers_seen = 0
    running = system
    for turn in session.turns:
        running += count_tokens(turn.text) + PER_MESSAGE_OVERHEAD
        if turn.role == "candidate":
            answers_seen += 1
            naive.append(running)
    by_turn = {k: actual[k] for k in range(1, min(len(actual), TURNS + 1))}
    reread = {k: reread_tokens(requests[k - 1], requests[k]) for k in range(1, min(len(actual), TURNS + 1))}
    t5, t30 = by_turn.get(5), by_turn.get(TURNS)
    return {
        "answer_words": words,
        "interviewer_requests": len(requests),
        "errors": len(result.crashes) + sum(1 for t in result.timings if t.error),
        "actual_prompt_tokens_by_turn": by_turn,
        "reread_after_shared_prefix_by_turn": reread,
        "naive_full_history_tokens_by_turn": {k + 1: v for k, v in enumerate(naive)},
        "turn5": t5, "turn30": t30,
        "ratio_30_over_5": round(t30 / t5, 3) if t5 and t30 else None,
        "naive_ratio_30_over_5": round(naive[TURNS - 1] / naive[4], 3) if len(naive) >= TURNS else None,
        "goal_ratio_le_1.5": bool(t5 and t30 and t30 / t5 <= 1.5),
    }


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--words", type=int, default=140)
    args = parser.parse_args()
    return emit("prompt_tokens_per_turn", asyncio.run(run(args.words)))


if __name__ == "__main__":
    main()
