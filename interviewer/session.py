"""The interview state: one JSON-serialisable pydantic model shared by the CLI, the app and tests.

Everything the report needs lives here (transcript, evaluations, probe reasons, persona changes),
so a session file alone regenerates any report and a resumed thread loses nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from collections.abc import Iterable
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from interviewer.claims import Claim, Contradiction

SCHEMA_VERSION = 1
# The one user of a machine without logins: the app's default sign-in and the CLI's default user,
# so both read and write one claim ledger.
LOCAL_USER = "local"


def _now() -> datetime:
    return datetime.now(UTC)


def _id() -> str:
    return uuid.uuid4().hex


class Dimension(str, Enum):
    HONESTY = "honesty"
    ROOT_CAUSE = "root_cause"
    STORYTELLING = "storytelling"


DIMENSIONS: tuple[Dimension, ...] = tuple(Dimension)


class EvalStatus(str, Enum):
    PENDING = "pending"  # scoring has not finished (or not started) yet
    OK = "ok"
    UNAVAILABLE = "unavailable"  # the model failed; shown as such, never as a number


class Evaluation(BaseModel):
    """The evaluator's verdict on one answer. Mirrors the `interviewer score` line format."""

    model_config = ConfigDict(extra="forbid")

    status: EvalStatus = EvalStatus.PENDING
    honesty: int | None = Field(default=None, ge=1, le=5)
    root_cause: int | None = Field(default=None, ge=1, le=5)
    storytelling: int | None = Field(default=None, ge=1, le=5)
    evidence: dict[str, list[str]] = Field(default_factory=dict)
    rationale: dict[str, str] = Field(default_factory=dict)
    flags: list[str] = Field(default_factory=list)
    error: str | None = None
    attempts: int = 0
    # Which scorer produced it: "reader" (a trained head on the embedded model's states,
    # evaluation/reader.py) or "judge" (the generative judge, evaluation/evaluator.py); None in
    # sessions saved before the reader existed (the judge scored those).
    scorer: str | None = None

    def score(self, dim: Dimension | str) -> int | None:
        value: int | None = getattr(self, Dimension(dim).value)
        return value

    def scores(self) -> dict[str, int | None]:
        return {d.value: self.score(d) for d in DIMENSIONS}

    def only(self, dims: tuple[Dimension, ...]) -> "Evaluation":
        """A copy on `dims` alone (Session.assessed): the others have no score, evidence or rationale."""
        keep = {d.value for d in dims}
        return self.model_copy(update={
            **{d.value: None for d in DIMENSIONS if d not in dims},
            "evidence": {k: v for k, v in self.evidence.items() if k in keep},
            "rationale": {k: v for k, v in self.rationale.items() if k in keep},
        })


class Speaker(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    role: str = ""


class TurnKind(str, Enum):
    QUESTION = "question"  # a main question from the plan
    PROBE = "probe"  # a how/why follow-up on the previous answer
    REPROMPT = "reprompt"  # a gentle nudge after an empty answer; consumes no question
    CLOSING = "closing"
    ANSWER = "answer"
    NOTICE = "notice"  # system notices shown to the candidate (truncation, persona switch)


# Where an interviewer line's words came from: the model's line as it was, the model's line with
# code repairs (a name label, quotes or a lead-in removed), or the persona's template phrasing.
Wording = Literal["model", "repaired", "template"]
WORDINGS: tuple[Wording, ...] = ("model", "repaired", "template")


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=_id)
    role: Literal["interviewer", "candidate", "system"]
    kind: TurnKind
    text: str
    speaker: Speaker | None = None  # which interviewer spoke (panel members differ)
    persona: str = ""  # persona id at the time of this turn
    question_id: str | None = None  # the plan item this turn belongs to
    probe_reason: str | None = None  # why a follow-up was asked (shown in the report)
    probe_kind: str | None = None  # why / how_found / prevention / own_part / lesson / impact
    target_dimension: Dimension | None = None
    # Interviewer turns only; None on sessions saved before this was recorded (they still load).
    wording: Wording | None = None
    truncated_for_model: bool = False  # answer was cut for the model; `text` stays whole
    spoken: bool = False  # a candidate answer given by voice: `text` is its transcript
    evaluation: Evaluation | None = None  # on candidate answers only
    created_at: datetime = Field(default_factory=_now)


class PlanItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    phase: str  # opening, about_you, deep_dive, behavioural, technical, your_questions, close
    topic: str  # what to ask about; the model phrases it in the persona's voice
    owner: str | None = None  # panel member who asks it
    asked: bool = False
    probes: int = 0
    # Why this question was never asked ("covered by answer 2: '...'"); None when it was or will be.
    skipped: str | None = None
    # The dimensions answers to it are judged on (question_bank.yaml `assesses`); None: all three
    # (sessions saved before the field existed).
    assesses: list[Dimension] | None = None


def wording_shares(turns: Iterable[Turn]) -> dict[str, float]:
    """Share of interviewer turns per wording (model / repaired / template) among those that
    recorded one; all zero when none did. The conversation benchmark reports these."""
    counts = dict.fromkeys(WORDINGS, 0)
    for turn in turns:
        if turn.role == "interviewer" and turn.wording is not None:
            counts[turn.wording] += 1
    total = sum(counts.values())
    return {w: (counts[w] / total if total else 0.0) for w in WORDINGS}


# How the candidate answered "which is it?" (see interviewer.interview.reconcile for the rule):
# they settled it (corrected: restated one value, or "I misspoke / to be precise / actually"),
# explained how both fit (clarified), or did neither (unresolved).
Resolution = Literal["corrected", "clarified", "unresolved"]


class Inconsistency(BaseModel):
    """A contradiction the claim ledger noticed in this session, and what became of it."""

    model_config = ConfigDict(extra="forbid")

    contradiction: Contradiction  # new = said in `answer`; earlier = an earlier answer, résumé or session
    answer: int  # 1-based number of the answer that revealed it
    answer_turn_id: str
    new_quote: str  # the clause with the fact, as the interviewer quotes it back
    earlier_quote: str
    probe_turn_id: str | None = None  # the "which is it?" follow-up, when one was asked
    reply_turn_id: str | None = None  # the candidate's answer to that follow-up
    resolution: Resolution | None = None  # None until a reply to the follow-up exists


class CandidateContext(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str = "Software engineer"
    level: str = "mid-level"
    job_description: str = ""
    resume: str = ""
    # Claims from this user's earlier sessions (loaded from the store when a session starts), so a
    # story told differently next week is noticed. Not the candidate's words of this session.
    prior_claims: list[Claim] = Field(default_factory=list)


class Session(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    id: str = Field(default_factory=_id)
    user_id: str = LOCAL_USER
    persona: str = "friendly-team"
    persona_changes: list[tuple[int, str]] = Field(default_factory=list)  # (turn index, persona)
    context: CandidateContext = Field(default_factory=CandidateContext)
    # How hard to dig, chosen by the candidate: shifts the persona's own probing budget.
    probing_depth: Literal["light", "normal", "deep"] = "normal"
    plan: list[PlanItem] = Field(default_factory=list)
    position: int = 0  # index into plan of the current main question
    turns: list[Turn] = Field(default_factory=list)
    # The claim ledger of this session: facts read from the résumé and each answer, verbatim quote
    # and source kept (interviewer/ledger). Stored per user when the session is saved.
    claims: list[Claim] = Field(default_factory=list)
    # Contradictions among those claims (and the earlier sessions'), each reported once.
    inconsistencies: list[Inconsistency] = Field(default_factory=list)
    finished: bool = False
    created_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)

    # -- mutation helpers: every change goes through these so `updated_at` stays honest -----
    def add_turn(self, turn: Turn) -> Turn:
        if not turn.persona:
            turn.persona = self.persona
        self.turns.append(turn)
        self.updated_at = _now()
        return turn

    def switch_persona(self, persona: str) -> None:
        if persona != self.persona:
            self.persona = persona
            self.persona_changes.append((len(self.turns), persona))
            self.updated_at = _now()

    def set_evaluation(self, turn_id: str, evaluation: Evaluation) -> None:
        for turn in self.turns:
            if turn.id == turn_id:
                turn.evaluation = evaluation
                self.updated_at = _now()
                return
        raise KeyError(turn_id)

    # -- views ---------------------------------------------------------------------------
    def answers(self) -> list[Turn]:
        return [t for t in self.turns if t.role == "candidate"]

    def questions(self) -> list[Turn]:
        return [t for t in self.turns if t.role == "interviewer"]

    def pending_evaluations(self) -> list[Turn]:
        return [
            t
            for t in self.answers()
            if t.evaluation is None or t.evaluation.status is not EvalStatus.OK
        ]

    def assessed(self, answer: Turn) -> tuple[Dimension, ...]:
        """The dimensions this answer is judged on: its plan question's `assesses`, all three when
        the question is not in the plan. The evaluator scores every dimension; the report, the
        live score step and the progress means count only these (root cause on "tell me about
        yourself" is not a weakness of the answer)."""
        question = self.question_for(answer)
        qid = answer.question_id or (question.question_id if question else None)
        item = next((p for p in self.plan if p.id == qid), None) if qid else None
        return DIMENSIONS if item is None or item.assesses is None else tuple(d for d in DIMENSIONS if d in item.assesses)

    def question_for(self, answer: Turn) -> Turn | None:
        """The interviewer turn an answer replies to."""
        index = self.turns.index(answer)
        for turn in reversed(self.turns[:index]):
            if turn.role == "interviewer":
                return turn
        return None

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, data: str | bytes) -> "Session":
        return cls.model_validate_json(data)
