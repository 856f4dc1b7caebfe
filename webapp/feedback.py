"""/end in the app: every score in, the whole report on screen, then the model's rewrites.

1. Wait for every score, with "Scoring answers: k of n…" on screen (as the engine reports it).
2. Show the complete report with the extractive rewrites (built from the candidate's own
   sentences) and its downloads, at once. Each rewrite says the model is still working on it,
   and so does every file downloaded now.
3. In a background task, the model rewrites those answers ("Improving 3 example answers…"), and
   the same message is then updated in place: its text and its files are replaced whole (never a
   half-written report). A rewrite the model could not write keeps the extractive one with its
   note. The message is persisted by Chainlit's data layer on both updates, so a chat reopened
   during the rewrites shows the first version and one reopened after shows the final one.

Why: the rewrites took ~49 s after the last score on the embedded model (benchmarks/RESULTS.md §8c).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import chainlit as cl

from interviewer.report import (
    Report, build_report, plotly_figure, render_html, render_json, render_markdown, render_pdf,
)
from interviewer.report.staged import pending, with_model_rewrites
from interviewer.session import Session
from webapp import saving
from webapp.services import get_services
from webapp.state import state

if TYPE_CHECKING:
    from interviewer.interview.settle import ScoringProgress

log = logging.getLogger("interviewer.app")

AUTHOR = "Feedback report"
# Seconds the report waits for scores still being computed or retried; the count is on screen
# meanwhile, and past it the report names the answers it could not score.
SCORING_TIMEOUT = 300.0


async def settle_scores(session: Session) -> None:
    """Every score in before the report: a message counts them as they land (and as unavailable
    ones are tried again) and ends with the final tally."""
    engine = get_services().engine
    if engine is None:
        return
    note = cl.Message(content="Checking your scores…", author="Interviewer")
    await note.send()

    async def show(progress: ScoringProgress) -> None:
        note.content = progress.text()
        await note.update()

    try:
        await engine.settle_scores(session, show, timeout=SCORING_TIMEOUT)
    except Exception:
        log.warning("scoring before the report did not finish", exc_info=True)


async def end_interview(session: Session) -> asyncio.Task[None] | None:
    """Scores, then the report on screen; returns the task that swaps in the model's rewrites
    (None when there is nothing for the model to rewrite or no model to do it)."""
    svc = get_services()
    await settle_scores(session)
    session.finished = True
    await saving.save(session)
    previous: Sequence[Session] = [
        s for s in await svc.store.alist_for_user(session.user_id, finished_only=True) if s.id != session.id
    ]
    base = await build_report(session, previous, rewriter=None)
    rewriter = svc.report_model if base.rewrites else None
    stem = f"interview-report-{session.created_at:%Y%m%d-%H%M}"
    first = pending(base) if rewriter is not None else base
    chart = await _chart(first)
    msg = cl.Message(content=render_markdown(first), author=AUTHOR, elements=[*chart, *await files(first, stem)])
    await msg.send()
    if rewriter is None:
        return None
    chat = state()
    if chat.report_rewrites is not None and not chat.report_rewrites.done():
        chat.report_rewrites.cancel()  # an /end typed again: the newer report gets the model
    chat.report_rewrites = asyncio.create_task(_improve(msg, base, session, rewriter, stem))
    return chat.report_rewrites


async def _improve(msg: cl.Message, base: Report, session: Session, rewriter: Any, stem: str) -> None:
    total = len(base.rewrites)
    some = f"{total} example answer{'s' if total != 1 else ''}"
    note = cl.Message(content=f"Improving {some} with the model… The report above is complete; "
                      "its rewrites are replaced when this is done.", author="Interviewer")
    await note.send()

    async def done(k: int) -> None:
        if k < total:
            note.content = f"Improving example answers: {k} of {total} done…"
            await note.update()

    try:
        final = await with_model_rewrites(base, session, rewriter, done)
    except asyncio.CancelledError:
        await _say(note, "Stopped improving the example answers; the report above keeps the ones "
                   "built from your own sentences.")
        raise
    except Exception:  # rewrite_answer already keeps the extractive one when a call fails
        log.exception("model rewrites failed; the report keeps the extractive ones")
        final = base
    try:
        await replace(msg, final, stem)
    except Exception:
        log.exception("updating the report with the model's rewrites failed")
        await _say(note, "I couldn't update the report with the model's rewrites; the report above "
                   "keeps the ones built from your own sentences.")
        return
    by_model = sum(1 for rw in final.rewrites if rw.source == "model")
    if by_model:
        kept = total - by_model
        rest = f" ({kept} kept from your own sentences; the report says why)" if kept else ""
        text = (f"The example answers are ready: the model rewrote {by_model} of {total}{rest}. "
                "The report above and its downloads are updated.")
    else:
        text = ("The model couldn't improve the example answers, so the report above keeps the ones built "
                "from your own sentences (it says why under each); its downloads are updated.")
    await _say(note, text)


async def _say(note: cl.Message, text: str) -> None:
    try:
        note.content = text
        await note.update()
    except Exception:
        log.exception("progress message failed")


async def replace(msg: cl.Message, report: Report, stem: str) -> None:
    """The report message with `report` in place of what it showed: text and files at once.
    New files are sent before the old ones go, so there is always a download to click."""
    new = await files(report, stem)
    old: list[cl.File] = [e for e in msg.elements if isinstance(e, cl.File)]
    msg.content = render_markdown(report)
    msg.elements = [*[e for e in msg.elements if not isinstance(e, cl.File)], *new]
    await msg.update()
    for element in old:
        try:
            await element.remove()
        except Exception:
            log.exception("removing an old report file failed")


async def _chart(report: Report) -> list[Any]:
    try:
        return [cl.Plotly(name="Scores by dimension", figure=plotly_figure(report), display="inline", size="large")]
    except Exception:
        log.exception("chart failed")
        return []


async def files(report: Report, stem: str) -> list[Any]:
    """The downloads: one file per format (a format that fails to render is left out)."""
    markdown = render_markdown(report)
    downloads: list[tuple[str, str, Any]] = [
        ("md", "text/markdown", lambda: markdown.encode()),
        ("html", "text/html", lambda: render_html(report).encode()),
        ("json", "application/json", lambda: render_json(report).encode()),
        ("pdf", "application/pdf", lambda: render_pdf(report)),
    ]
    out: list[Any] = []
    for suffix, mime, render in downloads:
        try:
            content = await asyncio.to_thread(render)
        except Exception:
            log.exception("rendering %s failed", suffix)
            continue
        out.append(cl.File(name=f"{stem}.{suffix}", content=content, mime=mime, display="inline"))
    return out
