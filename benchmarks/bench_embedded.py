"""(5) The embedded model on this machine: time to first token and to a complete follow-up
question, raw and through the engine (with the evaluator running on its own server).

Starts the real llama.cpp server(s) via LLMRuntime, so it needs the model in ~/.cache/interviewer
(`interviewer fetch-model`). Run it once; it takes a minute or two.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from _common import emit

from interviewer.config import Backend, load_settings
from interviewer.llm.provider import LLMRuntime, Role
from testkit.drive import drive_interview, sample_answer


async def raw(runtime: LLMRuntime, n: int) -> list[dict[str, float]]:
    chat = runtime.chat_model(Role.INTERVIEWER, streaming=True, max_tokens=60)
    out = []
    for i in range(n):
        started = time.perf_counter()
        first = None
        async for chunk in chat.astream([("system", "You are a friendly interviewer. Ask one short question."),
                                         ("user", sample_answer(0, i))]):
            if first is None and chunk.content:
                first = time.perf_counter() - started
        out.append({"first_token_s": round(first or float("nan"), 3),
                    "complete_s": round(time.perf_counter() - started, 3)})
    return out


async def through_engine(runtime: LLMRuntime, answers: int) -> dict:
    from interviewer.interview.engine import InterviewEngine
    from interviewer.evaluation.scorer import make_evaluator
    from interviewer.interview.personas import PersonaLibrary

    library = PersonaLibrary.load()
    engine = InterviewEngine(runtime.chat_model(Role.INTERVIEWER, streaming=True), library,
                             make_evaluator(runtime))
    session = engine.new_session(library.all()[0].id)
    result = await drive_interview(engine, session, [sample_answer(0, t) for t in range(answers)])
    started = time.perf_counter()
    await engine.drain(session, timeout=600)
    drain = time.perf_counter() - started
    steps = [{"step": "open" if i == 0 else f"answer {i}",
              "first_token_s": round(t.first_token, 3) if t.first_token else None,
              "question_complete_s": round(t.question_done, 3) if t.question_done else None,
              "error": t.error} for i, t in enumerate(result.timings)]
    return {"steps": steps, "evaluations_drained_after_s": round(drain, 2),
            "evaluations": [a.evaluation.status.value if a.evaluation else None for a in session.answers()],
            "questions": [t.text for t in session.questions()], "crashes": [repr(c) for c in result.crashes]}


async def run(answers: int) -> dict:
    settings = load_settings(backend=Backend.LOCAL)
    started = time.perf_counter()
    with LLMRuntime(settings) as runtime:
        startup = time.perf_counter() - started
        raw_runs = await raw(runtime, 3)
        engine_runs = await through_engine(runtime, answers)
        description = runtime.describe()
    return {"runtime": description, "startup_s": round(startup, 2), "raw_stream": raw_runs,
            "engine": engine_runs}


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--answers", type=int, default=3)
    args = parser.parse_args()
    return emit("embedded_model", asyncio.run(run(args.answers)))


if __name__ == "__main__":
    main()
