"""What the chat shows, as text: score lines and tables, thread names, who is asking, the
"thinking" line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from interviewer.report.model import NOT_ASKED
from interviewer.session import DIMENSIONS, CandidateContext, Dimension, EvalStatus, Evaluation, Turn

DIMENSION_LABELS: dict[Dimension, str] = {
    Dimension.HONESTY: "Honesty",
    Dimension.ROOT_CAUSE: "Root cause",
    Dimension.STORYTELLING: "Storytelling",
}


def thread_name(persona_name: str, context: CandidateContext, when: datetime | None = None) -> str:
    stamp = (when or datetime.now()).strftime("%d %b %H:%M")
    return f"{persona_name} · {context.level} {context.role} · {stamp}"


def _stars(score: int | None) -> str:
    return "—" if score is None else "●" * score + "○" * (5 - score)


def score_step_name(evaluation: Evaluation | None, answer_number: int | None = None,
                    assessed: tuple[Dimension, ...] = DIMENSIONS) -> str:
    """Chainlit titles a finished step "Used <name>", so the name reads on from there. Scores
    land while the next question is already on screen, so the name says which answer."""
    who = f"the evaluator on answer {answer_number}" if answer_number else "the evaluator"
    if evaluation is None or evaluation.status is EvalStatus.PENDING:
        return f"{who} (still scoring)"
    if evaluation.status is EvalStatus.UNAVAILABLE:
        return f"{who}: score unavailable"
    if not assessed:
        return f"{who}: not scored (small talk)"
    parts = [f"{DIMENSION_LABELS[d]} {_value(evaluation.score(d))}" for d in assessed]
    return f"{who}: " + " · ".join(parts)


def _value(score: int | None) -> str:
    return f"{score}/5" if score is not None else "n/a"


def evaluation_markdown(evaluation: Evaluation | None, assessed: tuple[Dimension, ...] = DIMENSIONS) -> str:
    """The step's body: scores, the quotes they rest on, the rationale and any flags, on the
    dimensions the question assesses (Session.assessed); the others are named as not assessed."""
    if evaluation is None or evaluation.status is EvalStatus.PENDING:
        return "The evaluator is still reading this answer."
    if evaluation.status is EvalStatus.UNAVAILABLE:
        reason = f" ({evaluation.error})" if evaluation.error else ""
        return (
            f"The evaluator couldn't score this answer{reason}. No number is shown rather than a "
            "made-up one; it is retried before the report."
        )
    lines = ["| Dimension | Score | |", "|---|---|---|"]
    for dim in DIMENSIONS:
        value = evaluation.score(dim)
        if dim not in assessed:
            lines.append(f"| {DIMENSION_LABELS[dim]} | {NOT_ASKED} | |")
            continue
        lines.append(f"| {DIMENSION_LABELS[dim]} | {value if value is not None else 'n/a'} | {_stars(value)} |")
    for dim in assessed:
        quotes = evaluation.evidence.get(dim.value) or []
        why = evaluation.rationale.get(dim.value)
        if not quotes and not why:
            continue
        lines.append(f"\n**{DIMENSION_LABELS[dim]}**" + (f": {why}" if why else ""))
        lines.extend(f"> {_one_line(q)}" for q in quotes[:3])
    if evaluation.flags:
        lines.append("\n**Flags:** " + "; ".join(_one_line(f) for f in evaluation.flags))
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def question_display(turn: Turn, is_panel: bool) -> str:
    """On a panel, say who is asking: Chainlit shows no author names, only an avatar."""
    if is_panel and turn.speaker is not None:
        role = f" · {turn.speaker.role}" if turn.speaker.role else ""
        return f"**{turn.speaker.name}**{role}\n\n{turn.text}"
    return turn.text


def thinking_text(interviewers: Sequence[str]) -> str:
    """What the chat shows while the model reads and writes, until its first words arrive.
    Plain text on purpose: it is streamed, and half-rendered markdown showed its underscores."""
    if len(interviewers) == 1:
        return f"{interviewers[0]} is thinking…"
    return "The panel is thinking…" if interviewers else "The interviewer is thinking…"
