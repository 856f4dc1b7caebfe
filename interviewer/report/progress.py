"""Progress across a user's sessions: per-dimension means of each session and the change from the
last earlier session that scored the dimension. Counts only the dimensions each answer's question
assesses (Session.assessed), like every other mean of the report."""

from __future__ import annotations

from collections.abc import Sequence
from statistics import mean

from interviewer.report.model import DimensionChange, Progress, SessionPoint
from interviewer.report.rubric_view import RubricView
from interviewer.session import DIMENSIONS, EvalStatus, Session

DIMS = [d.value for d in DIMENSIONS]
CHANGE_STEP = 0.25  # session-to-session change needed to call it improved / declined


def session_means(session: Session) -> dict[str, float | None]:
    """Per-dimension means over the session's ok evaluations (None where nothing was scored)."""
    out: dict[str, float | None] = {}
    for dim in DIMS:
        values = [
            s for t in session.answers()
            if t.evaluation and t.evaluation.status is EvalStatus.OK
            and (s := t.evaluation.only(session.assessed(t)).score(dim)) is not None
        ]
        out[dim] = round(mean(values), 2) if values else None
    return out


def progress(session: Session, previous: Sequence[Session], rubric: RubricView) -> Progress | None:
    earlier = sorted(
        (s for s in previous
         if s.user_id == session.user_id and s.id != session.id and s.created_at <= session.created_at),
        key=lambda s: s.created_at,
    )
    if not earlier:
        return None
    history = [SessionPoint(session_id=s.id, date=s.created_at, means=session_means(s))
               for s in [*earlier, session]]
    current = history[-1].means
    changes: list[DimensionChange] = []
    summary: list[str] = []
    for dim in DIMS:
        before = next((p.means[dim] for p in reversed(history[:-1]) if p.means[dim] is not None), None)
        now = current[dim]
        title = rubric.title(dim)
        if before is None or now is None:
            changes.append(DimensionChange(dimension=dim, title=title, current=now, previous=before,
                                           delta=None, change="no data"))
            summary.append(f"{title}: no comparison (not scored in {'this' if now is None else 'an earlier'} session).")
            continue
        delta = round(now - before, 2)
        change = "improved" if delta >= CHANGE_STEP else "declined" if delta <= -CHANGE_STEP else "unchanged"
        changes.append(DimensionChange(dimension=dim, title=title, current=now, previous=before,
                                       delta=delta, change=change))  # type: ignore[arg-type]
        summary.append(f"{title} {change}: {before:.1f} \u2192 {now:.1f} ({delta:+.1f}).")
    return Progress(sessions_compared=len(earlier), changes=changes, history=history, summary=summary)
