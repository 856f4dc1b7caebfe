"""(14) Enter -> first words of the next question on the embedded model, today's design vs reading
the answer while it is typed vs the scheduler, side by side in one run, with the evaluator scoring
meanwhile.

Passes over the same answers (60-200 words each, below), each a fresh dour-cto interview. The
first four run on two llama.cpp servers (interviewer, evaluator) with the cores split between them
and no scheduler (INTERVIEWER_LOCAL_SCHEDULER=0: one thread each on 2 cores, the design before the
scheduler); the scheduled passes on two servers with every core each, the evaluator's paused while
an interviewer request is in flight (llm/scheduler.py, what the app runs now):

- today:       the request main sent before issue 14 (benchmarks/_legacy_prompt.py: the long
               note after the answer), nothing read before Enter.
- short_note:  the new prompt (a note of ~35-55 tokens after the answer), no prewarm.
- typing:      the new prompt, and while "typing" InterviewEngine.prewarm with drafts growing by
               --step words (each read before the next, as a typist is far slower than the
               server); the last --unread words are typed after the last prewarm, then Enter.
- answer_only: the limit. Prewarm with an empty draft, then time one max_tokens=1 request that
               reads exactly the answer's tokens; then Enter (everything prewarmed: the candidate
               paused before Enter, the best case of `typing`).
- scheduled:   `typing` on the scheduled servers.
- scheduled_answer_only: `answer_only` on the scheduled servers (the limit with all cores).
- scheduled_reader: `scheduled`, and the follow-up chosen from the reader (issue 27): the answer is
               read on the evaluator's server after Enter, before the interviewer's request.

Per turn: Enter -> first model token and first words shown (the engine's first TokenEvent after
the model's first token), the question complete, the tokens llama.cpp re-read for the real request
(its own log: "N prefix-match hit, remaining M prompt tokens to eval"), the answer's token count
(the server's /extras/tokenize), and whether an evaluation was running at Enter. Evaluation work
is pending at every Enter: besides the engine's own scoring, a loop scores the answers again and
again (`--busy`, on by default; without it two scoring runs are queued up front). Per pass, the
evaluator's seconds per answer: the pass's wall time / the scoring runs finished in it (the
evaluator is never idle, so that is its throughput while the candidate is served first; the
typist here is far faster than a person, so this is its worst case), and per design, first, the
seconds per answer of the evaluator alone (`--solo`).

    python benchmarks/bench_latency.py --out benchmarks/bench_latency-latest.json   # ~25-35 min
    python benchmarks/bench_latency.py --passes typing,answer_only,scheduled,scheduled_answer_only
    python benchmarks/bench_latency.py --answers 3 --passes typing,today
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _common import emit, machine

import _legacy_prompt
from interviewer.config import Backend, default_cache_dir, load_settings
from interviewer.interview.events import TokenEvent, TurnEvent
from interviewer.llm.model_files import default_model_path
from interviewer.llm.provider import LLMRuntime, Role
from testkit.drive import percentile

PERSONA = "dour-cto"
SEED = 14
ANSWERS = [
    # 1 (~60 words) an opening
    "I'm a backend engineer at a logistics company. For the last three years I've worked on the routing "
    "service that plans delivery routes for about four hundred vans a day. Before that I spent two years on "
    "the billing team. I like problems where performance and correctness both matter, and I'm looking for a "
    "team that takes operations and on-call seriously.",
    # 2 (~110 words) a story with a cause
    "Last spring our routing API started timing out every weekday morning around seven. I looked at the "
    "dashboards and saw the database connection pool was exhausted exactly when the timeouts began. The slow "
    "query log showed a reporting query without an index on the delivery date; it held connections for "
    "minutes while drivers were loading their routes. I added the index, moved the report to a read replica, "
    "and put an alert on pool usage above eighty percent. The p99 latency went from four seconds to about "
    "three hundred milliseconds, and I learned to check query plans before blaming the network.",
    # 3 (~60 words) vague, so it is probed
    "We had an outage on the payments service once. It was a pretty stressful day and a lot of people were "
    "involved. We looked at a lot of things and eventually we fixed it and the service came back. After that "
    "things were fine again and then we moved on to the next project, which was a big database migration.",
    # 4 (~150 words) design
    "The routing service is a Python API in front of a solver written in Rust. Requests come in from the "
    "dispatch app, we validate them, load the vans and stops for the depot from Postgres, and hand the problem "
    "to the solver through a queue so a slow solve never blocks the API. Results are cached per depot and "
    "day, because dispatchers ask for the same plan many times while they make small changes. We chose a "
    "queue over direct calls because solves take anywhere from one second to two minutes, and we wanted to "
    "retry them without the client waiting. The trade-off is more moving parts: we had to add idempotency "
    "keys so a retried solve does not create two plans, and a dead-letter queue that someone actually reads. "
    "If I built it again I would keep the queue but drop the per-depot cache.",
    # 5 (~90 words) a mistake
    "My worst mistake was a migration that renamed a column while the old version of the app was still "
    "running. I had tested it on staging, but staging had only one instance, so I never saw both versions at "
    "once. In production the old instances failed every write for about ten minutes until the deploy "
    "finished. I rolled forward rather than back, then wrote down the expand and contract pattern for the "
    "team, and now every migration is reviewed for compatibility with the previous release.",
    # 6 (~200 words) a long one
    "The hardest debugging I've done was a memory leak in a worker that processed delivery scans. Memory grew "
    "by about fifty megabytes an hour and the workers were killed by the kernel twice a day, which lost scans "
    "that were in flight. At first we assumed it was our own caching, so I turned every cache off, and the "
    "leak stayed. Then I took heap snapshots an hour apart with tracemalloc and compared them: almost all the "
    "growth was inside the HTTP client library, in objects for connections that were never closed. We created "
    "a new client per message and never closed it, so every message left a connection pool behind. The fix "
    "was one shared client with a bounded pool, closed when the worker shuts down. Memory has been flat since, "
    "and we added a test that runs ten thousand messages and fails if memory grows by more than a few "
    "megabytes. What I took away is to measure before guessing: the day I spent disabling caches could have "
    "been an hour with the snapshots. I also wrote a short guide for the team on taking and diffing heap "
    "snapshots, because two other services had the same pattern.",
    # 7 (~75 words) a gap
    "Honestly, I have not worked with Kubernetes in production. We deploy to virtual machines with Ansible. "
    "I understand the basic ideas, pods and deployments and services, from a course I took, but I have never "
    "debugged a cluster. If I joined, I would pair with whoever runs it for the first few weeks and set up a "
    "small cluster at home to break things on purpose.",
    # 8 (~100 words) conflict
    "A colleague and I disagreed about whether to rewrite the billing exports or patch them. He wanted a "
    "rewrite because the code was hard to read; I thought the month-end deadline was too close. We agreed to "
    "write down what each option would cost and what could go wrong, and showed it to our lead. We patched "
    "the exports for that month-end and scheduled the rewrite for the quarter after, with him leading it. The "
    "rewrite cut the export time from three days to four hours, and we still work together well.",
]
REMAINING = re.compile(r"(\d+) prefix-match hit, remaining (\d+) prompt tokens to eval")
PROMPT_EVAL = re.compile(r"prompt eval time =\s+([\d.]+) ms /\s+(\d+) tokens")
PASSES = ("today", "short_note", "typing", "answer_only", "scheduled", "scheduled_answer_only", "scheduled_reader")
# The scheduled passes run a turn the way these passes do, on the scheduled servers.
SCHEDULED = {"scheduled": "typing", "scheduled_answer_only": "answer_only", "scheduled_reader": "typing"}
# Passes whose engine chooses follow-ups from the reader (issue 27: a read of the answer before the
# decision, on the evaluator's server); the others decide by the text rules, as before.
READER_PASSES = {"scheduled_reader"}


class TimedModel:
    """The interviewer's chat model, timestamping the first streamed token of each request."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.first_token_at: float | None = None

    def astream(self, messages: Any, **kwargs: Any) -> Any:
        return self._astream(messages, **kwargs)

    async def _astream(self, messages: Any, **kwargs: Any) -> Any:
        async for chunk in self.model.astream(messages, **kwargs):
            if self.first_token_at is None and chunk.content:
                self.first_token_at = time.perf_counter()
            yield chunk

    async def ainvoke(self, messages: Any, **kwargs: Any) -> Any:
        return await self.model.ainvoke(messages, **kwargs)


class CountingEvaluator:
    """The real evaluator, counting the scoring runs in progress (is evaluation work pending?)."""

    def __init__(self, evaluator: Any) -> None:
        self.evaluator = evaluator
        self.active = 0
        self.done = 0
        self.unavailable = 0

    async def evaluate(self, question: str, answer: str) -> Any:
        self.active += 1
        try:
            result = await self.evaluator.evaluate(question, answer)
            if getattr(result.status, "value", "") == "unavailable":
                self.unavailable += 1
            return result
        finally:
            self.active -= 1
            self.done += 1


async def keep_busy(evaluator: CountingEvaluator, answers: list[str]) -> None:
    """Score the answers over and over (a new question each time, so nothing comes from the
    evaluator's cache): the evaluator always has work when Enter is pressed."""
    i = 0
    while True:
        await evaluator.evaluate(f"Tell me about something you built ({i}).", answers[i % len(answers)])
        i += 1


class Replaced(logging.Handler):
    """Collects the model lines the engine did not use (wording.py logs them at INFO)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage()[:300])


class ServerLog:
    """New lines of the interviewer server's verbose log since the last `mark()`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def mark(self) -> None:
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def since(self) -> str:
        with self.path.open("rb") as fh:
            fh.seek(self.offset)
            return fh.read().decode("utf-8", errors="replace")

    @staticmethod
    def reread(text: str) -> dict[str, Any]:
        """Tokens the server read for the (first) request in `text`, and its prompt-eval time."""
        hit = REMAINING.search(text)
        evals = PROMPT_EVAL.findall(text)
        tokens = int(hit.group(2)) if hit else (int(evals[0][1]) if evals else None)
        return {"reread_tokens": tokens, "prefix_hit_tokens": int(hit.group(1)) if hit else 0,
                "prompt_eval_ms": round(float(evals[0][0])) if evals else None}


def make_engine(runtime: LLMRuntime, evaluator: CountingEvaluator, design: str, reader: bool = False) -> Any:
    from interviewer.interview.engine import InterviewEngine
    from interviewer.interview.probe_head import kind_reader_for
    from interviewer.interview.personas import PersonaLibrary

    class LegacyEngine(InterviewEngine):
        def messages(self, session: Any, persona: Any, move: Any) -> Any:
            return _legacy_prompt.messages(self, session, persona, move)

    cls = LegacyEngine if design == "today" else InterviewEngine
    model = runtime.chat_model(Role.INTERVIEWER, streaming=True, max_tokens=96)  # as the CLI's
    kinds = kind_reader_for(evaluator.evaluator) if reader else None
    if reader and kinds is None:
        raise SystemExit("no probe-choice head for this model and reader (make reader)")
    engine = cls(model, PersonaLibrary.load(), evaluator, prewarm=design in ("typing", "answer_only"),
                 kind_reader=kinds)
    engine.model = TimedModel(model)  # the prewarmer keeps the plain model
    return engine


async def answer_tokens(base: str, text: str) -> int:
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.post(f"{base}/extras/tokenize", json={"input": text})
        return len(response.json()["tokens"])


async def one_turn(engine: Any, session: Any, answer: str, design: str, log: ServerLog, args: argparse.Namespace,
                   evaluator: CountingEvaluator, base: str) -> dict[str, Any]:
    row: dict[str, Any] = {"answer_words": len(answer.split()), "answer_tokens": await answer_tokens(base, answer)}
    typing_started = time.perf_counter()
    words = answer.split()
    if design == "typing":
        ends = [*range(args.step, len(words) - args.unread, args.step), len(words) - args.unread]
        used = engine.readings.used
        for end in ends:
            if args.wpm:  # a person's pace: the words of this step typed, then the pause that sends it
                await asyncio.sleep(args.step * 60 / args.wpm)
            await engine.prewarm(session, " ".join(words[:end]))
            await engine.prewarm_settled(session)  # a typist is far slower than the server reads
        row["prewarms"] = len(ends)
    elif design == "answer_only":
        await engine.prewarm(session, "")
        await engine.prewarm_settled(session)
        log.mark()
        started = time.perf_counter()
        await engine.prewarm(session, answer)
        await engine.prewarm_settled(session)
        row["answer_read_s"] = round(time.perf_counter() - started, 3)
        row["answer_read"] = ServerLog.reread(log.since())
    else:
        await asyncio.sleep(args.think)  # the same evaluator time as a typing pass, give or take
    row["typing_s"] = round(time.perf_counter() - typing_started, 2)
    row["evaluator_busy_at_enter"] = evaluator.active > 0
    log.mark()
    replaced = Replaced()
    logging.getLogger("interviewer.interview.wording").addHandler(replaced)
    engine.model.first_token_at = None
    enter = time.perf_counter()
    shown = None
    async for event in engine.reply(session, answer):
        if isinstance(event, TokenEvent) and shown is None and engine.model.first_token_at is not None:
            shown = time.perf_counter()
        if isinstance(event, TurnEvent) and event.turn.role == "interviewer":
            row["question_s"] = round(time.perf_counter() - enter, 3)
            row["question"] = event.turn.text
    logging.getLogger("interviewer.interview.wording").removeHandler(replaced)
    if replaced.lines:
        row["model_line_not_used"] = replaced.lines
    if design == "typing" and engine.readings.reader is not None:
        row["reading_used"] = engine.readings.used > used  # the reader chose the follow-up (issue 27)
    first = engine.model.first_token_at
    row["first_token_s"] = round(first - enter, 3) if first else None
    # No token shown (code replaced the model's line with a template): the page shows "thinking"
    # until the whole question lands, so that is when the first words appear.
    row["first_words_s"] = round(shown - enter, 3) if shown else row.get("question_s")
    # llama.cpp prints its timings when the request ends, which can be after we stopped reading.
    deadline = time.perf_counter() + 5
    while not PROMPT_EVAL.search(log.since()) and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    row.update(ServerLog.reread(log.since()))
    return row


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def stats(key: str) -> dict[str, float | None]:
        values = [r[key] for r in rows if r.get(key) is not None]
        if not values:
            return {"median": None, "p95": None, "max": None}
        return {"median": round(statistics.median(values), 3), "p95": round(percentile(values, 95), 3),
                "max": round(max(values), 3)}

    over = [r["reread_tokens"] - r["answer_tokens"] for r in rows if r.get("reread_tokens") is not None]
    return {"turns": len(rows), "first_words_s": stats("first_words_s"), "first_token_s": stats("first_token_s"),
            "question_s": stats("question_s"), "reread_tokens": stats("reread_tokens"),
            "reread_minus_answer_tokens_max": max(over) if over else None,
            "evaluator_busy_at_enter": sum(1 for r in rows if r["evaluator_busy_at_enter"])}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    answers = ANSWERS[: args.answers]
    passes = [p for p in args.passes.split(",") if p]
    unknown = set(passes) - set(PASSES)
    if unknown:
        raise SystemExit(f"unknown passes {sorted(unknown)}; known: {', '.join(PASSES)}")
    logging.getLogger("interviewer.interview.wording").setLevel(logging.INFO)
    results: dict[str, Any] = {"answers": len(answers), "step_words": args.step, "unread_words": args.unread,
                               "wpm": args.wpm,
                               "busy_evaluator": args.busy, "passes": passes, "runtimes": {}}
    # One pair of servers per design: the split one (no scheduler) first, then the scheduled one.
    for scheduled in (False, True):
        group = [p for p in passes if (p in SCHEDULED) is scheduled]
        if group:
            await run_design(args, answers, group, scheduled, results)
    return results


async def run_design(args: argparse.Namespace, answers: list[str], passes: list[str], scheduled: bool,
                     results: dict[str, Any]) -> None:
    from interviewer.evaluation.scorer import make_evaluator

    home = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    settings = load_settings(backend=Backend.LOCAL, cache_dir=home, model_path=default_model_path(default_cache_dir()),
                             local_verbose=True, local_threads=args.threads, local_scheduler=scheduled)
    started = time.perf_counter()
    with LLMRuntime(settings) as runtime:
        servers = "scheduled" if scheduled else "split"
        results["runtimes"][servers] = {
            "runtime": runtime.describe(), "startup_s": round(time.perf_counter() - started, 1),
            "threads_per_server": {role.value: server.n_threads for role, server in runtime.servers.items()},
            "scheduler": runtime.foreground is not None}
        base = runtime.base_url(Role.INTERVIEWER).removesuffix("/v1")
        log = ServerLog(home / "logs" / "llama-server-interviewer.log")
        evaluator = CountingEvaluator(make_evaluator(runtime))
        # The evaluator alone (the interviewer idle, as while the candidate reads and types):
        # seconds per answer on this design's threads.
        solo = []
        for i, answer in enumerate(answers[: args.solo]):
            t0 = time.perf_counter()
            await evaluator.evaluate(f"Tell me about your work ({i}).", answer)
            solo.append(round(time.perf_counter() - t0, 1))
        results["runtimes"][servers]["evaluator_alone_s_per_answer"] = solo
        print(f"[bench_latency] {servers}: evaluator alone {solo} s", flush=True)
        if args.busy:
            background = [asyncio.create_task(keep_busy(evaluator, answers))]
        else:  # evaluation work pending from the first answer on: two scoring runs queued up front
            background = [asyncio.create_task(evaluator.evaluate("Tell me about a problem you solved.", a))
                          for a in answers[:2]]
        for name in passes:
            design = SCHEDULED.get(name, name)
            engine = make_engine(runtime, evaluator, design, name in READER_PASSES)
            session = engine.new_session(PERSONA, seed=SEED)
            load, pass_started, done_before = _load(), time.perf_counter(), evaluator.done
            gate = runtime.foreground
            paused_before = (gate.pauses, gate.paused_seconds) if gate else (0, 0.0)
            async for _ in engine.open(session):
                pass
            rows = []
            for answer in answers:
                if session.finished:
                    break
                rows.append(await one_turn(engine, session, answer, design, log, args, evaluator, base))
                print(f"[bench_latency] {name}: {rows[-1]}", flush=True)
            wall = time.perf_counter() - pass_started
            done = evaluator.done - done_before
            scoring = {"scoring_runs_finished": done, "pass_wall_s": round(wall, 1),
                       "evaluator_s_per_answer": round(wall / done, 1) if done else None,
                       "unavailable_so_far": evaluator.unavailable}
            if name in READER_PASSES:
                scoring["follow_ups_chosen_by_the_reader"] = sum(bool(r.get("reading_used")) for r in rows)
            if gate:
                scoring["evaluator_paused"] = {"times": gate.pauses - paused_before[0],
                                               "seconds": round(gate.paused_seconds - paused_before[1], 1),
                                               "watchdog_overruns": gate.overruns}
            results[name] = {"load_average_1m_at_start": load, "servers": servers,
                             "summary": {**summary(rows), **scoring}, "turns": rows}
            print(f"[bench_latency] {name} summary: {results[name]['summary']}", flush=True)
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)


def _load() -> float:
    import os

    return round(os.getloadavg()[0], 2)


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", type=int, default=len(ANSWERS))
    parser.add_argument("--passes", default=",".join(PASSES), help=f"comma-separated, from {', '.join(PASSES)}")
    parser.add_argument("--step", type=int, default=4, help="words typed between prewarms (the page sends "
                        "every 2 s of typing, about 4 words at 40 wpm)")
    parser.add_argument("--unread", type=int, default=2, help="words typed after the last prewarm")
    parser.add_argument("--wpm", type=float, default=0.0, help="typing passes: words a minute (0: each draft "
                        "sent as soon as the last was read, far faster than a person)")
    parser.add_argument("--think", type=float, default=15.0, help="seconds between a question and the answer "
                        "in the passes that do not prewarm (the evaluator works meanwhile)")
    parser.add_argument("--threads", type=int, default=None, help="threads per server (default: the app's: "
                        "cores // 2 without the scheduler, every core with it)")
    parser.add_argument("--busy", action=argparse.BooleanOptionalAction, default=True,
                        help="keep the evaluator scoring all the time (default), else two runs queued up front")
    parser.add_argument("--solo", type=int, default=3, help="answers scored by the evaluator alone first, "
                        "timed (its seconds per answer with the interviewer idle)")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args()
    print(f"[bench_latency] machine: {machine()}", flush=True)
    payload = emit("latency", asyncio.run(run(args)))
    if args.out:
        args.out.write_text(json.dumps(payload, indent=2) + "\n")
    return payload


if __name__ == "__main__":
    main()
