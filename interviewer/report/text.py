"""Wording shared by every renderer, so Markdown, HTML and PDF say the same thing the same way."""

from __future__ import annotations

from interviewer.report.model import (
    NOT_ASKED,
    NOT_JUDGED,
    UNAVAILABLE,
    AnswerScore,
    Consistency,
    ConsistencyItem,
    DimensionSummary,
    Quote,
    Report,
    Rewrite,
    TranscriptEntry,
)

PART_LABELS = {"situation": "Situation", "action": "Action", "result": "Result", "lesson": "Lesson"}


def score(value: float | int | None) -> str:
    """A score as shown to people: one decimal for means, the word "unavailable" when missing."""
    if value is None:
        return UNAVAILABLE
    if isinstance(value, int):
        return str(value)
    return f"{value:.1f}"


def trend(dim: DimensionSummary) -> str:
    if dim.trend_delta is None:
        return dim.trend
    return f"{dim.trend} ({dim.trend_delta:+.1f})"


def cell(answer: AnswerScore, dim: str) -> str:
    """One answer's score on one dimension: a number, "unavailable", "not assessed" or "not judged"."""
    if answer.status != "ok":
        return UNAVAILABLE
    if dim not in answer.assessed:
        return NOT_ASKED
    value = answer.scores.get(dim)
    return NOT_JUDGED if value is None else str(value)


def answer_details(report: Report, answer: AnswerScore) -> list[tuple[str, str, str]]:
    """(dimension title, score cell, explanation) for one answer: the level text and the reason."""
    rows: list[tuple[str, str, str]] = []
    for dim in report.dimensions:
        value = cell(answer, dim.dimension)
        reason = answer.rationale.get(dim.dimension, "")
        reason = reason.split(": ", 1)[1] if reason[:1].isdigit() and ": " in reason else reason
        level = answer.levels.get(dim.dimension, "")
        reason = without_level(level, reason)
        text = " ".join(x for x in (level, f"Why: {reason}" if reason and level else reason) if x)
        rows.append((dim.title, value, text))
    return rows


def without_level(level: str, reason: str) -> str:
    """`reason` without the level description it opens with: the reader's rationale starts with
    the nearest anchor, which the line already shows ("Between 1 and 3: <anchor>")."""
    described = level.split(": ", 1)[-1].strip()
    return reason[len(described):].strip() if described and reason.startswith(described) else reason


def quote_source(report: Report, quote: Quote, dim: DimensionSummary) -> str:
    """"answer 3, scored 4": a dimension's quotes come from its best and its worst answer, and
    without the score a strong sentence under a low average read as its reason."""
    return f"answer {quote.answer}, scored {cell(report.answers[quote.answer - 1], dim.dimension)}"


def per_answer(report: Report, dim: DimensionSummary) -> str:
    return ", ".join(cell(a, dim.dimension) for a in report.answers) or "none"


def subtitle(report: Report) -> str:
    scored = len(report.scored_answers)
    date = report.session_date.strftime("%Y-%m-%d %H:%M UTC")
    personas = ", ".join(report.personas)
    return (f"{date} · {personas} · {report.role} ({report.level}) · "
            f"{len(report.answers)} answers, {scored} scored")


def rewrite_intro(rw: Rewrite) -> str:
    where = ""
    if len(rw.material) > 1:
        where = f" in answers {', '.join(map(str, rw.material[:-1]))} and {rw.material[-1]}"
    base = (f"Restructured by the model from your own words{where} (checked: no number or name "
            "you didn't say)." if rw.source == "model" else
            f"Restructured from your own sentences{where}.")
    if rw.placeholders:
        base += " Fill in the brackets with your real facts."
    return base


def sarl(rw: Rewrite) -> list[tuple[str, str]]:
    return [(PART_LABELS[p], getattr(rw, p)) for p in PART_LABELS]


def turn_note(entry: TranscriptEntry) -> str:
    """What a transcript line's header says besides the speaker: the answer's number and scores,
    "spoken" for an answer given by voice (its text is the transcript), or "follow-up"."""
    if entry.answer_number:
        spoken = ", spoken" if entry.spoken else ""
        return f"answer {entry.answer_number}{spoken}: {entry.score_line}"
    if entry.kind == "probe":
        return "follow-up"
    return "spoken" if entry.spoken else ""


def probe_where(after: int | None) -> str:
    return f"after answer {after}" if after else "before any answer"


# -- consistency ----------------------------------------------------------------------------------
CONSISTENCY_TITLE = "Consistency"
OUTCOMES = {
    "corrected": "you corrected it. Credit to you: owning a slip is what honest candidates do.",
    "clarified": "you explained how both fit. Credit to you for clearing it up.",
    "unresolved": "not cleared up. Know your numbers and dates, and say so when a story changed.",
    "not asked": "not asked about in the interview.",
    "no reply": "the interview ended before you replied.",
}


def consistency_empty(section: Consistency) -> str:
    facts = f"{section.facts} fact{'' if section.facts == 1 else 's'}"
    return f"No contradictions noticed among the {facts} you stated (numbers, dates, roles, who did what)."


def consistency_title(item: ConsistencyItem) -> str:
    return f"{item.new_where[:1].upper()}{item.new_where[1:]} and {item.earlier_where} disagree: {item.reason}"


def consistency_rows(item: ConsistencyItem) -> list[tuple[str, str]]:
    """(label, text) lines of one contradiction, quotes in curly quotes; renderers escape them."""
    rows = [(item.earlier_where[:1].upper() + item.earlier_where[1:], f"\u201c{item.earlier_quote}\u201d"),
            (item.new_where[:1].upper() + item.new_where[1:], f"\u201c{item.new_quote}\u201d")]
    if item.question:
        rows.append(("Asked", f"\u201c{item.question}\u201d"))
    if item.reply:
        rows.append((f"Your reply (answer {item.reply_answer})", f"\u201c{item.reply}\u201d"))
    outcome = OUTCOMES[item.outcome]
    rows.append(("Outcome", outcome[:1].upper() + outcome[1:]))
    return rows
