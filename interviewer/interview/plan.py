"""The interview plan: a question bank (data) and the persona's plan built from it.

The bank (`prompts/question_bank.yaml`) lists questions per phase with the follow-up kinds that
apply to their answers; the probe kinds themselves (`prompts/interviewer_probes.yaml`) carry the
instruction the model phrases and the reason shown in the report. `build_plan` picks questions
for a persona and assigns each to the panellist who owns that phase, taking turns.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from interviewer.evaluation.signals import CUES, SIGNAL_NAMES
from interviewer.interview.personas import PHASES, Persona
from interviewer.resources import prompts_dir
from interviewer.session import DIMENSIONS, Dimension, PlanItem

BANK_PATH = prompts_dir() / "question_bank.yaml"
PROBES_PATH = prompts_dir() / "interviewer_probes.yaml"
# Phases whose answers are scored by the evaluator and probed by the policy.
EVALUATED_PHASES: frozenset[str] = frozenset({"about_you", "deep_dive", "behavioural", "technical"})


class PlanError(ValueError):
    """The question bank or probe file is malformed (message names the file and field)."""


def _check_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return value


class CoveredWhen(BaseModel):
    """When an answer (to any question) already answers this one, so it is not asked again:
    `cue` matches one of its sentences (case-insensitive; "" = no cue needed), every name in
    `signals` is hit (signal names of interviewer.evaluation.signals, or its named CUES), and it
    has at least `min_words` words. See interviewer.interview.listening."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cue: str = ""
    signals: list[str] = Field(default_factory=list)
    min_words: int = Field(default=25, ge=0)

    @field_validator("cue")
    @classmethod
    def _regex(cls, value: str) -> str:
        return _check_regex(value)

    @field_validator("signals")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [v for v in value if v not in SIGNAL_NAMES and v not in CUES]
        if unknown:
            raise ValueError(f"unknown signal(s) {unknown}")
        return value

    @model_validator(mode="after")
    def _something(self) -> "CoveredWhen":
        if not self.cue and not self.signals:
            raise ValueError("needs a cue or at least one signal")
        return self


class BankQuestion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    topic: str
    question: str  # template phrasing (fallback when the model's output is unusable)
    expects: list[str] = Field(default_factory=list)
    stories: bool = False  # answers narrate real problems: root-cause probes may apply
    # What answers to it are judged on (Session.assessed): small talk and the candidate's own
    # questions on nothing, an introduction on honesty and storytelling but not root cause.
    assesses: list[Dimension] = Field(default_factory=lambda: list(DIMENSIONS))
    force_root_cause: bool = False  # root-cause probes apply even without problem words
    uses_story: bool = False  # asks "why" about a story the candidate told earlier
    covered_when: CoveredWhen | None = None  # None: never skipped (opening, your questions, close)
    # More words a rephrasing may use and still be on topic ("your current role" for current work).
    keywords: list[str] = Field(default_factory=list)
    # Questions about the same work asked earlier ("that work", "that system"): their answers are
    # read before this one's when the follow-up is chosen (interview/reading.py), so what the
    # candidate already said there is not asked for again.
    builds_on: list[str] = Field(default_factory=list)


class ProbeKind(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dimension: Dimension
    instruction: str
    reason: str
    accept: str = ""  # regex a phrased probe must match to count as this kind ("" = anything)
    # Regex a phrased probe must NOT match: words that claim what the kind does not ("that's
    # vague" for a follow-up that names no gap). "" = nothing refused.
    refuse: str = ""
    fallback: str = ""  # template when the persona has none for this kind (may hold {question})

    @field_validator("accept", "refuse")
    @classmethod
    def _regex(cls, value: str) -> str:
        return _check_regex(value)

    def accepts(self, text: str) -> bool:
        if self.refuse and re.search(self.refuse, text, re.IGNORECASE):
            return False
        return not self.accept or re.search(self.accept, text, re.IGNORECASE) is not None


class QuestionBank(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    phases: dict[str, list[BankQuestion]]
    probes: dict[str, ProbeKind] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> "QuestionBank":
        unknown = [p for p in self.phases if p not in PHASES]
        if unknown:
            raise ValueError(f"phases: unknown phase(s) {unknown}")
        ids = [q.id for qs in self.phases.values() for q in qs]
        if len(ids) != len(set(ids)):
            raise ValueError("phases: question ids must be unique")
        for q in (q for qs in self.phases.values() for q in qs):
            bad = [e for e in q.expects if e not in self.probes]
            if bad:
                raise ValueError(f"question {q.id!r}: expects unknown probe kind(s) {bad}")
            if unknown_ids := [b for b in q.builds_on if b not in ids or b == q.id]:
                raise ValueError(f"question {q.id!r}: builds_on names no other question {unknown_ids}")
        return self

    def question(self, question_id: str) -> BankQuestion:
        for questions in self.phases.values():
            for q in questions:
                if q.id == question_id:
                    return q
        raise KeyError(question_id)


def _read_yaml(path: Path) -> dict:  # type: ignore[type-arg]
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PlanError(f"{path.name}: cannot read YAML: {exc}") from None
    if not isinstance(data, dict):
        raise PlanError(f"{path.name}: expected a mapping at the top level")
    return data


@lru_cache(maxsize=4)
def load_bank(bank_path: Path = BANK_PATH, probes_path: Path = PROBES_PATH) -> QuestionBank:
    bank = _read_yaml(bank_path)
    probes = _read_yaml(probes_path)
    try:
        return QuestionBank.model_validate({**bank, "probes": probes.get("probes", {})})
    except ValidationError as exc:
        where = "; ".join(
            f"field '{'.'.join(str(p) for p in e['loc'])}': {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise PlanError(f"{bank_path.name} / {probes_path.name}: {where}") from None


def _pick(questions: list[BankQuestion], count: int, prefer: list[str], rng: random.Random | None) -> list[BankQuestion]:
    """`count` questions: the persona's preferred ones first (shuffled when a seed is given)."""
    preferred = [q for pid in prefer for q in questions if q.id == pid]
    rest = [q for q in questions if q not in preferred]
    if rng is not None:
        rng.shuffle(preferred)
        rng.shuffle(rest)
    return (preferred + rest)[:count]


def build_plan(persona: Persona, bank: QuestionBank | None = None, seed: int | None = None) -> list[PlanItem]:
    """The persona's interview plan. Deterministic without a seed (rehearsals, tests)."""
    bank = bank or load_bank()
    rng = random.Random(seed) if seed is not None else None
    spec = persona.plan
    counts = {"deep_dive": spec.deep_dive, "behavioural": spec.behavioural, "technical": spec.technical}
    items: list[PlanItem] = []
    turn_of: dict[str, int] = {}
    for phase in spec.phases:
        questions = bank.phases.get(phase, [])
        if phase in counts:
            prefer = spec.behavioural_topics if phase == "behavioural" else []
            chosen = _pick(questions, counts[phase], prefer, rng)
            if phase == "deep_dive":  # keep the deep dive in its natural order
                chosen = [q for q in questions if q in chosen]
        else:
            chosen = questions[:1]
        owners = persona.members_for_phase(phase)
        for q in chosen:
            # Panellists who share a phase take turns asking its questions.
            owner = owners[turn_of.get(phase, 0) % len(owners)]
            turn_of[phase] = turn_of.get(phase, 0) + 1
            items.append(PlanItem(id=q.id, phase=phase, topic=q.topic, owner=owner.name, assesses=list(q.assesses)))
    return items
