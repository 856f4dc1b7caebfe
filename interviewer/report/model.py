"""The feedback report as data: one versioned, JSON-serialisable pydantic model.

Every renderer (Markdown, HTML, JSON, PDF, plotly) reads only this model, so the chat, the
download and the CLI show the same content. Everything here is derived from a Session by
`interviewer.report.build`; nothing in it is a number the evaluator did not produce.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Bump when a field is renamed or removed (adding a field with a default is not a break).
REPORT_SCHEMA_VERSION = 1

UNAVAILABLE = "unavailable"  # the evaluation failed or has not finished: shown, never counted
NOT_JUDGED = "not judged"  # the evaluator ran but found nothing to judge this dimension on
NOT_ASKED = "not assessed"  # the question does not assess this dimension (Session.assessed)

Verdict = Literal["strong", "developing", "needs work", "not enough evidence"]
Trend = Literal["improving", "declining", "steady", "not enough evidence"]
Change = Literal["improved", "declined", "unchanged", "no data"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Quote(_Model):
    """A verbatim piece of one answer, with the answer it came from (1-based)."""

    answer: int
    text: str


class AnswerScore(_Model):
    """One candidate answer and its evaluation as the report shows it."""

    number: int  # 1-based position among the candidate's answers
    turn_id: str
    question: str
    question_kind: str  # question / probe / reprompt / closing
    phase: str = ""  # the plan phase (opening, behavioural, ...) when known
    answer: str
    status: Literal["ok", "unavailable"]  # pending counts as unavailable in a report
    scores: dict[str, int | None]  # None whenever status is unavailable
    levels: dict[str, str] = Field(default_factory=dict)  # anchored level text per dimension
    evidence: dict[str, list[str]] = Field(default_factory=dict)  # verified verbatim quotes
    rationale: dict[str, str] = Field(default_factory=dict)  # the evaluator's reasons per dimension
    flags: list[str] = Field(default_factory=list)
    mean: float | None = None  # mean over this answer's dimensions, None when unavailable
    # The dimensions its question assesses; the others show as not assessed and count nowhere.
    assessed: list[str] = Field(default_factory=lambda: ["honesty", "root_cause", "storytelling"])


class DimensionSummary(_Model):
    dimension: str
    title: str
    mean: float | None  # over scored answers only; None when none were scored
    level: int | None  # the mean rounded to the nearest anchored level
    level_description: str
    per_answer: list[int | None]  # aligned with Report.answers; None = unavailable
    scored: int
    trend: Trend
    trend_delta: float | None  # mean of the second half minus mean of the first half
    anchors: dict[int, str] = Field(default_factory=dict)
    quotes: list[Quote] = Field(default_factory=list)
    # Credit the scores do not carry, in plain words (a contradiction corrected when asked).
    notes: list[str] = Field(default_factory=list)


class Objective(_Model):
    """One of the three objectives of a good interview, judged in code from visible signals."""

    key: Literal["rapport", "demonstrated_value", "trajectory_of_growth"]
    title: str
    verdict: Verdict
    basis: list[str]  # each reason the verdict rests on, in plain words


class Highlight(_Model):
    number: int
    question: str
    mean: float
    why: str
    quotes: list[str]


class ProbeNote(_Model):
    """A follow-up question and why the interviewer asked it."""

    after_answer: int | None  # the answer it followed up on
    question: str
    speaker: str
    reason: str
    kind: str = ""
    target_dimension: str = ""


class Rewrite(_Model):
    """A weak answer restructured as Situation, Action, Result, Lesson from the candidate's words."""

    number: int
    question: str
    original: str
    situation: str
    action: str
    result: str
    lesson: str
    source: Literal["model", "extractive"]
    material: list[int] = Field(default_factory=list)  # the answers (1-based) it was built from
    placeholders: list[str] = Field(default_factory=list)
    note: str = ""  # why a model rewrite was dropped, when it was


class PracticeItem(_Model):
    title: str
    why: str
    how: str


class DimensionChange(_Model):
    dimension: str
    title: str
    current: float | None
    previous: float | None  # the most recent earlier session that scored this dimension
    delta: float | None
    change: Change


class SessionPoint(_Model):
    session_id: str
    date: datetime
    means: dict[str, float | None]


class Progress(_Model):
    sessions_compared: int
    changes: list[DimensionChange]
    history: list[SessionPoint]  # oldest first, the current session last
    summary: list[str]


Outcome = Literal["corrected", "clarified", "unresolved", "not asked", "no reply"]


class ConsistencyItem(_Model):
    """Two facts the candidate gave that did not agree, and how they answered "which is it?"."""

    kind: str  # quantity / duration / date / role / ownership
    reason: str  # "4 earlier, 40 now (team)"
    new_quote: str  # the clause with the fact, verbatim
    new_where: str  # "answer 3"
    earlier_quote: str
    earlier_where: str  # "answer 1" / "your résumé" / "an earlier session"
    question: str = ""  # the follow-up as asked; "" when it was not asked
    reply: str = ""  # the start of the candidate's reply to it
    reply_answer: int | None = None
    outcome: Outcome
    credit: bool = False  # corrected or clarified: owning a slip is honest


class Consistency(_Model):
    """The claim ledger's findings; absent from reports of sessions recorded before it existed."""

    facts: int  # comparable facts read from this interview (numbers, dates, roles, who did what)
    items: list[ConsistencyItem] = Field(default_factory=list)


class TranscriptEntry(_Model):
    index: int
    role: Literal["interviewer", "candidate", "system"]
    kind: str
    speaker: str
    text: str
    persona: str = ""
    answer_number: int | None = None
    probe_reason: str | None = None
    score_line: str = ""  # "honesty 3 · root cause 2 · storytelling 4" or "unavailable"
    spoken: bool = False  # the candidate spoke this answer; `text` is the transcript


class Report(_Model):
    schema_version: int = REPORT_SCHEMA_VERSION
    session_id: str
    user_id: str
    session_date: datetime
    personas: list[str]
    role: str
    level: str
    dimensions: list[DimensionSummary]
    answers: list[AnswerScore]
    objectives: list[Objective]
    strongest: list[Highlight]
    weakest: list[Highlight]
    probes: list[ProbeNote]
    rewrites: list[Rewrite]
    practice: list[PracticeItem]
    progress: Progress | None
    transcript: list[TranscriptEntry]
    consistency: Consistency | None = None  # None: the session has no claim ledger
    flags: dict[str, str] = Field(default_factory=dict)  # flag name -> meaning, for flags seen
    notes: list[str] = Field(default_factory=list)  # e.g. "2 of 7 answers could not be scored"

    @property
    def scored_answers(self) -> list[AnswerScore]:
        """Answers with at least one score (not unavailable, not entirely "not judged")."""
        return [a for a in self.answers if a.mean is not None]
