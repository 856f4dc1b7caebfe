"""`interviewer practice` (interactive, in the terminal) and `interviewer rehearse` (a whole
interview played from a file of answers, non-interactive: for demos, benchmarks and CI).

Both start with the user's claims from earlier interviews (`context.prior_claims`, from the
database the app uses too) and save the interview there when it ends, so its claims join the
user's ledger. `practice` does so for `--user` (default: the local user); `rehearse` only when
`--user` is given, so a benchmark or a CI run stays reproducible and writes into nobody's ledger."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from interviewer.config import Settings
from interviewer.interview.engine import InterviewEngine
from interviewer.interview.scoring import Evaluator
from interviewer.interview.events import Event, NoticeEvent, TokenEvent, TurnEvent
from interviewer.llm.provider import LLMRuntime, Role
from interviewer.interview.personas import PersonaLibrary
from interviewer.interview.probe_head import kind_reader_for
from interviewer.claims import Claim
from interviewer.session import LOCAL_USER, CandidateContext, Session, Turn
from interviewer.store import SessionStore, StoreError

INTERVIEWER_MAX_TOKENS = 96  # one short question; the engine stops reading at the first "?"
# A rehearsal has nobody waiting between answers: it waits for the reader to choose each follow-up.
REHEARSAL_READ_WAIT = 60.0
DRAIN_TIMEOUT = 600.0


def read_answers(path: Path) -> list[str]:
    """One answer per paragraph (blank-line separated); line breaks inside a paragraph kept."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def _personas_or_exit(persona: str) -> PersonaLibrary:
    library = PersonaLibrary.load()
    for error in library.errors:
        click.echo(f"[interviewer] persona file skipped: {error}", err=True)
    if persona not in library:
        raise click.ClickException(f"unknown persona {persona!r}; choose from: {', '.join(library.ids())}")
    return library


def _evaluator(runtime: LLMRuntime, enabled: bool) -> Evaluator | None:
    if not enabled:
        return None
    from interviewer.evaluation.scorer import make_evaluator

    return make_evaluator(runtime)


def build_engine(runtime: LLMRuntime, library: PersonaLibrary, evaluate: bool = True,
                 kind_read_wait: float = 0.0) -> InterviewEngine:
    """`kind_read_wait`: how long the next question may wait for the reader's reading of an answer
    (interview/reading.py): 0 where someone waits for it, longer in a scripted rehearsal."""
    model = runtime.chat_model(Role.INTERVIEWER, max_tokens=INTERVIEWER_MAX_TOKENS, streaming=True)
    evaluator = _evaluator(runtime, evaluate)
    return InterviewEngine(
        model,
        library,
        evaluator,
        evaluation_concurrency=runtime.settings.evaluation_slots,
        prewarm=runtime.settings.prewarm_enabled,
        kind_reader=kind_reader_for(evaluator, runtime.settings.probe_reader),
        kind_read_wait=kind_read_wait,
    )


def _context(role: str, level: str, jd: Path | None, resume: Path | None) -> CandidateContext:
    def read(path: Path | None) -> str:
        return path.read_text(encoding="utf-8", errors="replace") if path else ""

    return CandidateContext(role=role, level=level, job_description=read(jd), resume=read(resume))


@dataclass
class History:
    """The user's earlier interviews, as far as a CLI interview needs them: their claims when it
    starts, and a place to keep it when it ends. Without a store both are no-ops. A database
    problem costs the comparison or the copy in the database, never the interview itself."""

    store: SessionStore | None
    user: str = LOCAL_USER

    async def prior_claims(self) -> list[Claim]:
        if self.store is None:
            return []
        try:
            return await self.store.auser_claims(self.user)
        except StoreError as exc:
            click.echo(f"[interviewer] earlier interviews not loaded for comparison: {exc}", err=True)
            return []

    async def keep(self, session: Session) -> None:
        if self.store is None:
            return
        try:
            await self.store.asave(session)
        except StoreError as exc:
            click.echo(f"[interviewer] the interview was not saved to the database: {exc}", err=True)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def _history(runtime: LLMRuntime, user: str | None) -> History:
    from interviewer.cli.runtime import open_store

    return History(None) if user is None else History(open_store(runtime.settings), user)


def _line(turn: Turn) -> str:
    if turn.role == "candidate":
        return f"You: {turn.text}"
    if turn.role == "system":
        return f"[{turn.text}]"
    who = f"{turn.speaker.name} ({turn.speaker.role})" if turn.speaker else "Interviewer"
    return f"{who}: {turn.text}"


async def _show(events: AsyncGenerator[Event, None], echo_answers: bool = True) -> float | None:
    """Print finished turns and notices; return seconds until the interviewer's turn landed.
    aclosing: a failed print (closed pipe) closes the model stream here, not in a GC task."""
    started = time.monotonic()
    latency: float | None = None
    async with aclosing(events):
        async for event in events:
            if isinstance(event, TurnEvent):
                if event.turn.role == "candidate" and not echo_answers:
                    continue
                if event.turn.role == "interviewer":
                    latency = time.monotonic() - started
                click.echo(_line(event.turn) + "\n")
            elif isinstance(event, NoticeEvent):
                click.echo(f"[{event.level}] {event.text}", err=True)
            elif isinstance(event, TokenEvent):
                pass  # the terminal prints whole turns; the app streams tokens
    return latency


async def write_outputs(session: Session, out: Path) -> tuple[Path, str]:
    """transcript.json (the session) and report.md; returns the report path and how it was made."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "transcript.json").write_text(session.to_json(), encoding="utf-8")
    try:
        from interviewer.report import build_report, render_markdown

        report = await build_report(session)
        markdown, how = render_markdown(report), "feedback report"
    except ImportError:
        markdown, how = plain_transcript(session, "interviewer.report is not available"), "plain transcript"
    except Exception as exc:  # a report bug must not lose the interview
        markdown, how = plain_transcript(session, f"the report could not be built ({exc!r})"), "plain transcript"
    path = out / "report.md"
    path.write_text(markdown, encoding="utf-8")
    return path, how


def plain_transcript(session: Session, why: str) -> str:
    lines = [f"# Interview transcript ({session.persona})", "", f"_No feedback report: {why}._", ""]
    for turn in session.turns:
        lines.append(_line(turn))
        if turn.probe_reason:
            lines.append(f"  _(follow-up: {turn.probe_reason})_")
        if turn.evaluation is not None and turn.evaluation.status.value == "ok":
            lines.append(f"  _(scores: {turn.evaluation.scores()})_")
        lines.append("")
    return "\n".join(lines)


def _start(quiet: bool = False) -> LLMRuntime:
    from interviewer.cli.runtime import settings_or_exit, start_runtime

    settings: Settings = settings_or_exit()
    return start_runtime(settings, quiet=quiet)


_F = TypeVar("_F", bound=Callable[..., Any])

_common = [
    click.option("--persona", default="friendly-team", show_default=True, help="Persona id (file name in personas/)."),
    click.option("--role", default="Software engineer", show_default=True),
    click.option("--level", default="mid-level", show_default=True),
    click.option("--job-description", "jd", type=click.Path(exists=True, dir_okay=False, path_type=Path)),
    click.option("--resume", type=click.Path(exists=True, dir_okay=False, path_type=Path)),
    click.option("--no-eval", is_flag=True, help="Do not score answers."),
    click.option("-v", "--verbose", is_flag=True, help="Log the model's raw output when code replaces it."),
]


def common(fn: _F) -> _F:
    for option in reversed(_common):
        fn = option(fn)
    return fn


def _logging(verbose: bool) -> None:
    import logging

    logging.basicConfig(level=logging.WARNING, format="[%(name)s] %(message)s")
    if verbose:
        logging.getLogger("interviewer.interview.engine").setLevel(logging.INFO)


@click.command()
@common
@click.option("--answers", "answers_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The candidate's answers, one paragraph each (blank-line separated).")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--user", default=None,
              help="Compare with this user's earlier interviews and save this one to their ledger "
                   "(without it the rehearsal reads and writes no database).")
def rehearse(persona: str, role: str, level: str, jd: Path | None, resume: Path | None, no_eval: bool,
             verbose: bool, answers_path: Path, out: Path, user: str | None) -> None:
    """Play a whole interview with answers read from a file; write transcript.json and report.md."""
    _logging(verbose)
    library = _personas_or_exit(persona)
    answers = read_answers(answers_path)
    if not answers:
        raise click.ClickException(f"{answers_path}: no answers found (one paragraph per answer)")
    runtime = _start()
    history = _history(runtime, user)
    try:
        engine = build_engine(runtime, library, evaluate=not no_eval, kind_read_wait=REHEARSAL_READ_WAIT)
        asyncio.run(_rehearse(engine, persona, _context(role, level, jd, resume), answers, out, history))
    finally:
        history.close()
        runtime.stop()


async def _rehearse(engine: InterviewEngine, persona: str, context: CandidateContext, answers: list[str],
                    out: Path, history: History) -> None:
    context.prior_claims = await history.prior_claims()
    session = engine.new_session(persona, context, user_id=history.user)
    started = time.monotonic()
    latencies = [await _show(engine.open(session))]
    used = 0
    for answer in answers:
        if session.finished:
            break
        latencies.append(await _show(engine.reply(session, answer)))
        used += 1
        if session.turns and session.turns[-1].role == "candidate":  # the model failed: one retry
            latencies.append(await _show(engine.resume_question(session)))
    if not session.finished:
        latencies.append(await _show(engine.finish(session)))
    talk = time.monotonic() - started
    drain_start = time.monotonic()
    await engine.drain(session, timeout=DRAIN_TIMEOUT)
    retried = await engine.retry_unavailable(session)
    drained = time.monotonic() - drain_start
    await history.keep(session)
    path, how = await write_outputs(session, out)
    lat = [x for x in latencies if x is not None]
    click.echo(
        f"[interviewer] {used}/{len(answers)} answers used, {len(lat)} interviewer turns; "
        f"interview {talk:.1f} s (per turn mean {sum(lat) / max(1, len(lat)):.1f} s, max {max(lat, default=0):.1f} s); "
        f"waiting for scores {drained:.1f} s ({retried} re-run)",
        err=True,
    )
    click.echo(f"[interviewer] wrote {out / 'transcript.json'} and {path} ({how})", err=True)


@click.command()
@common
@click.option("--user", default=LOCAL_USER, show_default=True,
              help="Whose earlier interviews to compare with, and whose ledger keeps this one.")
def practice(persona: str, role: str, level: str, jd: Path | None, resume: Path | None, no_eval: bool,
             verbose: bool, user: str) -> None:
    """Practise an interview in the terminal. Type your answer; an empty line sends it.

    Commands: /end (or Ctrl-D) ends and writes the report, /persona NAME switches interviewer."""
    _logging(verbose)
    library = _personas_or_exit(persona)
    runtime = _start()
    history = _history(runtime, user)
    try:
        engine = build_engine(runtime, library, evaluate=not no_eval)
        settings_dir = runtime.settings.cache_dir
        asyncio.run(_practice(engine, persona, _context(role, level, jd, resume), settings_dir, history))
    finally:
        history.close()
        runtime.stop()


async def read_answer(engine: InterviewEngine, session: Session, read_line: Callable[[str], str] = input) -> str:
    """One answer: lines up to an empty one. A first line that is empty or a command is returned
    alone. After each line the draft so far goes to `engine.prewarm`, so the embedded model reads
    it while the next line is typed and, after the empty line, reads only the rest (issue 14).
    Ctrl-D after some lines sends them; on an empty answer it ends the interview (EOFError)."""
    lines: list[str] = []
    while True:
        try:
            line = await asyncio.to_thread(read_line, "> " if not lines else "  ")
        except EOFError:
            if lines:
                return "\n".join(lines)
            raise
        if not lines and (not line.strip() or line.strip().startswith("/")):
            return line
        if not line.strip():
            return "\n".join(lines)
        lines.append(line)
        await engine.prewarm(session, "\n".join(lines))


async def _practice(engine: InterviewEngine, persona: str, context: CandidateContext, cache_dir: Path,
                    history: History) -> None:
    context.prior_claims = await history.prior_claims()
    session = engine.new_session(persona, context, user_id=history.user, seed=int(time.time()))
    click.echo(
        "Type your answer (several lines if you like); an empty line sends it. /end or Ctrl-D ends, "
        "/persona NAME switches.\n",
        err=True,
    )
    await _show(engine.open(session))
    while not session.finished:
        try:
            answer = await read_answer(engine, session)
        except (EOFError, KeyboardInterrupt):
            click.echo("", err=True)
            break
        command = answer.strip()
        if command == "/end":
            break
        if command.startswith("/persona"):
            name = command.removeprefix("/persona").strip()
            try:
                engine.switch_persona(session, name)
                click.echo(_line(session.turns[-1]) + "\n")
            except KeyError as exc:
                click.echo(f"[warning] {exc.args[0]}", err=True)
            continue
        await _show(engine.reply(session, answer), echo_answers=False)
    if not session.finished:
        await _show(engine.finish(session))
    click.echo("[interviewer] waiting for the last scores...", err=True)
    await engine.drain(session, timeout=DRAIN_TIMEOUT)
    await history.keep(session)
    path, how = await write_outputs(session, cache_dir / "reports" / session.id)
    click.echo(f"Report ({how}): {path}")


COMMANDS: list[click.Command] = [practice, rehearse]
