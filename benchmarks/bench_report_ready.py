"""(14) /end -> report on screen, for an interview where the candidate took >= 30 s per answer.

One interview to one persona on the embedded model, wired as the app wires it (webapp/services.py:
the streaming interviewer, AnswerEvaluator on the evaluator's server, background scoring with the
settings' slots, prewarm while typing, the scheduler as configured: on unless
INTERVIEWER_LOCAL_SCHEDULER=0). A simulated candidate answers each question in --per-answer
seconds: reads the question (about 4 words a second, at most a quarter of the time), then "types"
the answer at an even pace, handing the draft to `InterviewEngine.prewarm` every 2 s as the page
does while typing goes on (public/prewarm.js: MAX_WAIT_MS = 2000; a draft is never sent twice),
then presses Enter (`InterviewEngine.reply`; scoring starts once the next question has streamed).

After the last answer, /end runs what webapp/feedback.py's `end_interview` runs: `settle_scores`
(waits for every score, retries unavailable ones, with the "Scoring answers: 2 of 9 done..."
progress), then `build_report` without a model and the renders the page shows (markdown, chart,
html, json, md, pdf): the report on screen, with the extractive rewrites. Then, as the app does in
the background, the model's rewrites of the same answers (interviewer/report/staged.py, with the
app's rewriter `rewriter_model`: the evaluator's, at most 320 tokens; `--rewriter`) and the renders
again. Measured: /end -> report on screen (the target; waiting for scores + building and rendering
it) and /end -> rewrites done (the report updated); how many answers were scored at /end, how many were still being scored, re-tried (settle's patient retries) or left
unavailable; per answer, Enter -> score landed; the evaluator's pauses (the scheduler's gate).

    flock /tmp/model.lock python benchmarks/bench_report_ready.py --out benchmarks/bench_report_ready-latest.json
    python benchmarks/bench_report_ready.py --per-answer 5 --answers 3          # quick, real model
    python benchmarks/bench_report_ready.py --fake --per-answer 1 --answers 3   # plumbing, no model
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import emit, machine
from bench_latency import ANSWERS as LATENCY_ANSWERS
from bench_latency import CountingEvaluator, _load

from interviewer.config import Backend, default_cache_dir, load_settings
from interviewer.interview.events import TokenEvent, TurnEvent
from interviewer.llm.provider import LLMRuntime, Role
from interviewer.report.rewrite import rewriter_model
from interviewer.session import EvalStatus, Evaluation, Session, Turn

PERSONA = "dour-cto"
SEED = 14
TARGET_S = 30.0  # issue 14: /end -> report on screen
SCORING_TIMEOUT = 300.0  # webapp/feedback.py: how long the app's /end waits for scores
READ_WORDS_PER_S = 4.0  # reading the question
PREWARM_EVERY_S = 2.0  # public/prewarm.js MAX_WAIT_MS: typing on without a pause sends every 2 s
ANSWERS = [
    *LATENCY_ANSWERS,
    # 9 (~85 words) learning something new
    "When we moved the scan workers to Go, I had never written Go. I read the tour in a weekend, then "
    "rewrote the smallest worker first, the one that only forwards scans to the archive, and asked a "
    "colleague who knew Go to review every pull request for a month. His comments were mostly about error "
    "handling and about not starting goroutines I could not stop. Three months later I was the one "
    "reviewing, and the new workers use a third of the memory the Python ones did.",
    # 10 (~130 words) a trade-off under pressure
    "Two weeks before peak season we found that the route planner could not handle the expected number of "
    "stops for our biggest depot: solves took over ten minutes. A proper fix meant changing the solver's "
    "model, which nobody could do safely in two weeks. So I split the depot into four zones by postcode, "
    "solved each zone separately and stitched the plans together, which brought solves under two minutes. "
    "The routes were about six percent longer than a full solve, and I told the operations manager that "
    "number before we shipped, so she could decide whether the extra fuel was acceptable. She agreed, we "
    "ran the zones through peak, and in January we changed the solver properly and removed the split. I "
    "would make the same call again, but I would write the removal ticket on day one.",
]


class ScoringWatch(CountingEvaluator):
    """The real evaluator, counted (bench_latency's), timed, and patient like the app's: settle's
    retries go through `evaluate_patiently`, so they are counted too."""

    def __init__(self, evaluator: Any) -> None:
        super().__init__(evaluator)
        self.retries = 0
        self.runs: list[dict[str, Any]] = []  # seconds each evaluation took (wait for the gate included)

    async def evaluate(self, question: str, answer: str) -> Evaluation:
        started = time.perf_counter()
        result: Evaluation = await super().evaluate(question, answer)
        self.runs.append({"s": round(time.perf_counter() - started, 1), "status": result.status.value})
        return result

    async def evaluate_patiently(self, question: str, answer: str, attempts: int = 3,
                                 backoff: float = 2.0) -> Evaluation:
        self.retries += 1
        self.active += 1
        try:
            result: Evaluation = await self.evaluator.evaluate_patiently(question, answer, attempts, backoff)
        finally:
            self.active -= 1
        if result.status is not EvalStatus.OK:
            self.unavailable += 1
        return result


def typing_plan(words: int, typing_s: float, every: float = PREWARM_EVERY_S) -> list[tuple[float, int]]:
    """(seconds after typing began, words typed by then) for each prewarm the page would send while
    a candidate types `words` words evenly over `typing_s` seconds: one every `every` seconds of
    typing, none at or after Enter, never the same draft twice."""
    plan: list[tuple[float, int]] = []
    at = every
    while at < typing_s:
        typed = int(words * at / typing_s)
        if typed and (not plan or typed > plan[-1][1]):
            plan.append((round(at, 3), typed))
        at += every
    return plan


def scoring_state(scoring: Any, session: Session) -> dict[str, int]:
    """Of the answers that get a score: how many have one, are being scored, or were unavailable."""
    answers = scoring.scored_answers(session)
    busy = scoring.in_flight(session.id)
    status = [t.evaluation.status if t.evaluation else None for t in answers]
    return {"scored_answers": len(answers), "scored": status.count(EvalStatus.OK),
            "in_flight": sum(1 for t in answers if t.id in busy),
            "unavailable": status.count(EvalStatus.UNAVAILABLE)}


def gate_state(runtime: LLMRuntime) -> dict[str, Any] | None:
    gate = runtime.foreground
    if gate is None:
        return None
    return {"pauses": gate.pauses, "paused_s": round(gate.paused_seconds, 1), "watchdog_overruns": gate.overruns}


async def candidate_turn(engine: Any, session: Session, answer: str, per_answer: float,
                         landed: dict[str, float]) -> dict[str, Any]:
    """Read the question, type the answer with prewarms as the page sends them, press Enter."""
    shown_at = time.perf_counter()
    question = next((t.text for t in reversed(session.turns) if t.role == "interviewer"), "")
    read_s = min(len(question.split()) / READ_WORDS_PER_S, per_answer / 4)
    await asyncio.sleep(read_s)
    typing_s = per_answer - read_s
    words = answer.split()
    typing_started = time.perf_counter()
    statuses: dict[str, int] = {}
    for at, typed in typing_plan(len(words), typing_s, PREWARM_EVERY_S):
        await asyncio.sleep(max(0.0, typing_started + at - time.perf_counter()))
        status = await engine.prewarm(session, " ".join(words[:typed]))
        statuses[status] = statuses.get(status, 0) + 1
    await asyncio.sleep(max(0.0, typing_started + typing_s - time.perf_counter()))
    row: dict[str, Any] = {"answer_words": len(words), "read_s": round(read_s, 1), "prewarms": statuses,
                           "question_to_enter_s": round(time.perf_counter() - shown_at, 1)}

    async def on_evaluation(_: Session, turn: Turn) -> None:
        landed[turn.id] = time.perf_counter()

    enter = row["_enter"] = time.perf_counter()
    first = None
    async for event in engine.reply(session, answer, on_evaluation=on_evaluation):
        if isinstance(event, TokenEvent) and first is None:
            first = time.perf_counter() - enter
        if isinstance(event, TurnEvent) and event.turn.role == "candidate":
            row["_turn"] = event.turn.id
        if isinstance(event, TurnEvent) and event.turn.role == "interviewer":
            row["question_s"] = round(time.perf_counter() - enter, 2)
            row["first_words_s"] = round(first, 2) if first is not None else row["question_s"]
    return row


async def _renders(report: Any, with_chart: bool) -> list[str]:
    """What webapp/feedback.py renders for one version of the report: the markdown on screen, the
    chart (first version only) and the four downloads. Returns the names that failed."""
    from interviewer.report import plotly_figure, render_html, render_json, render_markdown, render_pdf

    render_markdown(report)
    failed = []
    jobs = [("html", lambda: render_html(report)), ("json", lambda: render_json(report)),
            ("md", lambda: render_markdown(report)), ("pdf", lambda: render_pdf(report))]
    for name, render in ([("chart", lambda: plotly_figure(report))] if with_chart else []) + jobs:
        try:
            await asyncio.to_thread(render)
        except Exception:  # noqa: BLE001 - the app logs it and shows the report without that file
            failed.append(name)
    return failed


async def end_to_report(engine: Any, session: Session, report_model: Any) -> dict[str, Any]:
    """/end as webapp/feedback.py's `end_interview` runs it, without Chainlit: every score in (with
    progress); the whole report with the extractive rewrites and its renders (on screen); then the
    model's rewrites of the same answers and the renders again (the report updated in place).
    Seconds from /end for each step."""
    from interviewer.report import build_report, render_markdown
    from interviewer.report.staged import pending, with_model_rewrites

    ended = time.perf_counter()
    progress: list[str] = []

    async def show(state: Any) -> None:
        progress.append(f"{time.perf_counter() - ended:.1f} s: {state.text()}")

    final = await engine.settle_scores(session, show, timeout=SCORING_TIMEOUT)
    settled = time.perf_counter()
    session.finished = True
    base = await build_report(session, [], rewriter=None)
    rewriter = report_model if base.rewrites else None
    first = pending(base) if rewriter is not None else base
    failed = await _renders(first, with_chart=True)
    on_screen = time.perf_counter()
    report = base
    if rewriter is not None:
        report = await with_model_rewrites(base, session, rewriter)
        rewritten = time.perf_counter()
        failed += await _renders(report, with_chart=False)
    else:
        rewritten = on_screen
    done = time.perf_counter()
    return {"end_to_report_s": round(on_screen - ended, 1), "settle_s": round(settled - ended, 1),
            "first_build_render_s": round(on_screen - settled, 1),
            "end_to_rewrites_done_s": round(done - ended, 1),
            "rewrites_s": round(rewritten - on_screen, 1), "rerender_s": round(done - rewritten, 1),
            "final": {"scored": final.scored, "total": final.total, "missing": final.missing},
            "rewrites": [r.source for r in report.rewrites], "renders_failed": failed,
            "report_chars": len(render_markdown(report)), "progress": progress}


def settings_for(args: argparse.Namespace, home: Path, fake_url: str | None) -> Any:
    if fake_url is not None:
        return load_settings(backend=Backend.OPENAI_COMPATIBLE, base_url=fake_url, cache_dir=home)
    from interviewer.llm.model_files import default_model_path

    return load_settings(backend=Backend.LOCAL, cache_dir=home, model_path=default_model_path(default_cache_dir()))


async def interview(args: argparse.Namespace, fake_url: str | None = None) -> dict[str, Any]:
    from interviewer.evaluation.scorer import make_evaluator
    from interviewer.interview.engine import InterviewEngine
    from interviewer.interview.personas import PersonaLibrary

    home = Path(tempfile.mkdtemp(prefix="bench-report-"))
    settings = settings_for(args, home, fake_url)
    started = time.perf_counter()
    with LLMRuntime(settings) as runtime:
        result: dict[str, Any] = {"runtime": runtime.describe(), "startup_s": round(time.perf_counter() - started, 1),
                                  "scheduler": runtime.foreground is not None, "persona": args.persona,
                                  "per_answer_s": args.per_answer, "rewriter": args.rewriter,
                                  "load_average_1m_at_start": _load()}
        # As webapp/services.py builds them.
        evaluator = ScoringWatch(make_evaluator(runtime))
        engine = InterviewEngine(runtime.chat_model(Role.INTERVIEWER, streaming=True), PersonaLibrary.load(),
                                 evaluator, evaluation_concurrency=settings.evaluation_slots,
                                 prewarm=settings.prewarm_enabled or fake_url is not None)
        report_model = {"bounded": lambda: rewriter_model(runtime), "none": lambda: None,  # app: bounded
                        "unbounded": lambda: runtime.chat_model(Role.EVALUATOR)}[args.rewriter]()
        session = engine.new_session(args.persona, seed=SEED)
        began = time.perf_counter()
        async for _ in engine.open(session):
            pass
        rows: list[dict[str, Any]] = []
        landed: dict[str, float] = {}
        for answer in ANSWERS[: args.answers]:
            if session.finished:
                break
            rows.append(await candidate_turn(engine, session, answer, args.per_answer, landed))
            print(f"[bench_report_ready] answer {len(rows)}: {_public(rows[-1])} "
                  f"scoring {scoring_state(engine.scoring, session)}", flush=True)
        result["interview_s"] = round(time.perf_counter() - began, 1)
        result["answers"] = len(rows)
        result["at_end"] = {**scoring_state(engine.scoring, session), "evaluator": gate_state(runtime),
                            "load_average_1m": _load()}
        print(f"[bench_report_ready] /end: {result['at_end']}", flush=True)
        result.update(await end_to_report(engine, session, report_model))
        result["evaluator_paused_total"] = gate_state(runtime)
        result["retries"] = evaluator.retries
        result["unavailable_results"] = evaluator.unavailable
        result["evaluations"] = evaluator.runs
        for row in rows:
            turn = row.pop("_turn", None)
            enter = row.pop("_enter")
            if turn in landed:
                row["enter_to_score_s"] = round(landed[turn] - enter, 1)
        result["turns"] = rows
        first_words = [r["first_words_s"] for r in rows if r.get("first_words_s") is not None]
        result["first_words_median_s"] = round(statistics.median(first_words), 2) if first_words else None
        result["every_answer_scored"] = result["final"]["missing"] == 0
        result["target_met"] = result["every_answer_scored"] and result["end_to_report_s"] <= TARGET_S
    return result


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith("_")}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    if not args.fake:
        return await interview(args)
    from testkit import FakeLLMServer

    with FakeLLMServer(ttft=0.05) as server:
        return await interview(args, server.url)


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-answer", type=float, default=30.0, help="seconds from a question on screen to "
                        "Enter (reading, then typing with a prewarm every 2 s)")
    parser.add_argument("--answers", type=int, default=10, help=f"answers before /end (at most {len(ANSWERS)})")
    parser.add_argument("--persona", default=PERSONA)
    parser.add_argument("--rewriter", choices=("bounded", "unbounded", "none"), default="bounded",
                        help="the report's model rewrites: bounded (rewriter_model, what the app uses), "
                        "unbounded (the evaluator's model without max_tokens, the app before §8c), none")
    parser.add_argument("--fake", action="store_true", help="the loopback fake server instead of the model "
                        "(plumbing only; prewarm forced on)")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args()
    print(f"[bench_report_ready] machine: {machine()}", flush=True)
    payload = emit("report_ready", asyncio.run(run(args)))
    if args.out:
        args.out.write_text(json.dumps(payload, indent=2) + "\n")
    return payload


if __name__ == "__main__":
    main()
