"""The report in two stages: whole and on screen first, the model's rewrites swapped in after.

The model's rewrites of the weakest answers are the slow part of a report (on the embedded model
about 16 s each, one after another, and they need every score to know which answers are the
weakest; benchmarks/RESULTS.md §8c). So the app shows the complete report at once with the
extractive rewrites, the ones built from the candidate's own sentences, and then replaces it with
the version whose rewrites the model wrote:

    base = await build_report(session, previous, rewriter=None)
    first = pending(base) if rewriter is not None else base   # on screen, downloadable
    final = await with_model_rewrites(base, session, rewriter, on_done)

Both are whole reports: everything but the rewrites is the same, and a rewrite the model could
not write (or that failed the fact check) stays extractive with its note, as in `build_report`.
The first stage says on each rewrite that the model is still working on it, so a file downloaded
before the final report is honest about what it holds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from langchain_core.language_models import BaseChatModel

from interviewer.report.build import rewrites
from interviewer.report.model import Report
from interviewer.session import Session

PENDING_NOTE = ("Built from your own sentences for now: the model is still rewriting this answer, and the "
                "report in the chat is updated when it is done (a file downloaded before then keeps this version).")


def pending(report: Report) -> Report:
    """The report shown while the model rewrites: each rewrite says it may still change."""
    return report.model_copy(update={
        "rewrites": [rw.model_copy(update={"note": PENDING_NOTE}) for rw in report.rewrites],
    })


async def with_model_rewrites(
    report: Report,
    session: Session,
    rewriter: BaseChatModel,
    on_done: Callable[[int], Awaitable[None]] | None = None,
) -> Report:
    """`report` (built without a rewriter) with the model's rewrites of the same answers."""
    weakest = [a for h in report.weakest for a in report.answers if a.number == h.number]
    improved = await rewrites(session, weakest, rewriter, on_done)
    return report.model_copy(update={"rewrites": improved})
