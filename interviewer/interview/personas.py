"""Interviewer personas as data files: `personas/NAME.yaml`, validated on load.

A persona is everything that makes an interviewer sound and behave like itself: its voice, the
plan it follows, how hard it probes, who sits on the panel (and which part of the rubric each
panellist owns), and template phrasings used when the model's output cannot be used. Nothing
persona-specific lives in Python, so adding an interviewer is adding a file. A malformed file is
reported (file + field) in `PersonaLibrary.errors` and the other personas still load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from interviewer.resources import personas_dir, user_personas_dir
from interviewer.session import Dimension

PERSONAS_DIR = personas_dir()

PHASES: tuple[str, ...] = (
    "opening",
    "about_you",
    "deep_dive",
    "behavioural",
    "technical",
    "your_questions",
    "close",
)
# Probe kinds a persona must have a template phrasing for (the model-free fallback).
PROBE_KINDS: tuple[str, ...] = (
    "why",
    "how_found",
    "prevention",
    "own_part",
    "lesson",
    "impact",
    "example",
    "specifics",
)

# Optional probe kinds, each with the fields its templates must contain (a persona older than the
# kind uses the probe file's fallback).
PROBE_FIELDS: dict[str, tuple[str, ...]] = {"reconcile": ("{earlier}", "{new}")}

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Phrases = Annotated[list[Text], Field(min_length=1)]


def _check_phases(phases: list[str]) -> list[str]:
    unknown = [p for p in phases if p not in PHASES]
    if unknown:
        raise ValueError(f"unknown phase(s) {unknown}; known: {list(PHASES)}")
    return phases


class PersonaError(ValueError):
    """A persona file is malformed; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlanSpec(_Strict):
    """Which phases the persona runs and how many questions of each kind."""

    phases: list[str] = Field(default_factory=lambda: list(PHASES))
    deep_dive: int = Field(default=1, ge=0, le=3)
    behavioural: int = Field(default=3, ge=0, le=10)
    technical: int = Field(default=1, ge=0, le=3)
    # Preference order of behavioural question ids (from the question bank); others follow.
    behavioural_topics: list[str] = Field(default_factory=list)

    @field_validator("phases")
    @classmethod
    def _known_phases(cls, value: list[str]) -> list[str]:
        _check_phases(value)
        order = [PHASES.index(p) for p in value]
        if order != sorted(order):
            raise ValueError(f"phases must be in interview order {list(PHASES)}")
        return value


class ProbingSpec(_Strict):
    """How hard the persona digs: follow-ups per main question and how many gaps it lets pass."""

    max_probes: int = Field(default=2, ge=0, le=5)
    # Non-critical gaps tolerated before a probe (0 = probe on any gap: the strictest setting).
    tolerated_gaps: int = Field(default=1, ge=0, le=5)


def adjust_probing(spec: ProbingSpec, depth: str) -> ProbingSpec:
    """The candidate's depth setting relative to the persona: the CTO on "light" still digs more
    than the friendly team on "light"."""
    if depth == "light":
        return ProbingSpec(max_probes=max(0, spec.max_probes - 1), tolerated_gaps=min(5, spec.tolerated_gaps + 1))
    if depth == "deep":
        return ProbingSpec(max_probes=min(5, spec.max_probes + 1), tolerated_gaps=0)
    return spec


class Member(_Strict):
    """One interviewer (a panel has several; a single interviewer has one)."""

    name: Text
    role: Text
    intro: Text  # said (from this data, not by the model) the first time this member speaks
    dimensions: list[Dimension] = Field(default_factory=lambda: list(Dimension))
    phases: list[str] = Field(default_factory=lambda: list(PHASES))

    @field_validator("phases")
    @classmethod
    def _known_phases(cls, value: list[str]) -> list[str]:
        return _check_phases(value)


class PersonaPhrases(_Strict):
    """Template phrasings: used verbatim when the model fails, leaks or repeats itself."""

    greeting: Phrases
    reprompt: Phrases
    redirect: Phrases  # may contain {question}
    answer_fallback: Phrases
    closing: Phrases
    # Newer phrasings: optional so a user's older persona file still loads (neutral defaults).
    acknowledge: Phrases = ['You already told me "{fragment}", so let\'s move on.']  # {fragment}
    small_talk_reply: Phrases = ["Good to hear."]
    asked_back_reply: Phrases = ["Doing well, thank you for asking."]
    # Said at once after a spoken answer while the follow-up is still being chosen from the
    # reader's read of the whole transcript (engine.reply): a listener's "okay", never a verdict,
    # since nothing has been read yet. Taken in turn.
    heard: Phrases = ["Okay.", "Right."]
    probes: dict[str, Phrases]

    @staticmethod
    def in_turn(options: list[str], n: int) -> str:
        """The `n`th use of a phrase list: each option in turn, so none is said twice running."""
        return options[n % len(options)]

    @field_validator("probes")
    @classmethod
    def _all_probe_kinds(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        missing = [k for k in PROBE_KINDS if k not in value]
        if missing:
            raise ValueError(f"missing template phrasings for {missing}")
        for kind, fields in PROBE_FIELDS.items():
            for template in value.get(kind, []):
                absent = [f for f in fields if f not in template]
                if absent:
                    raise ValueError(f"{kind} template {template!r} lacks {absent}")
        return value


class Persona(_Strict):
    id: str = ""  # taken from the file name
    name: Text
    description: Text
    voice: Text
    style: Text
    starters: list[Text] = Field(min_length=2, max_length=4)
    plan: PlanSpec = Field(default_factory=PlanSpec)
    probing: ProbingSpec = Field(default_factory=ProbingSpec)
    interviewers: list[Member] = Field(min_length=1)
    phrases: PersonaPhrases

    @model_validator(mode="after")
    def _panel_covers_plan(self) -> "Persona":
        names = [m.name for m in self.interviewers]
        if len(set(names)) != len(names):
            raise ValueError("interviewers: names must be unique")
        for phase in self.plan.phases:
            if not any(phase in m.phases for m in self.interviewers):
                raise ValueError(f"interviewers: nobody owns phase {phase!r}")
        return self

    @property
    def is_panel(self) -> bool:
        return len(self.interviewers) > 1

    def member(self, name: str | None) -> Member | None:
        return next((m for m in self.interviewers if m.name == name), None)

    def members_for_phase(self, phase: str) -> list[Member]:
        return [m for m in self.interviewers if phase in m.phases] or list(self.interviewers)

    def owner_of(self, dimension: Dimension | str | None) -> Member | None:
        """The panellist who owns a rubric dimension (first listed wins)."""
        if dimension is None:
            return None
        dim = Dimension(dimension)
        return next((m for m in self.interviewers if dim in m.dimensions), None)


def _field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def load_persona(path: Path) -> Persona:
    """Load one persona file; raises PersonaError naming the file and the field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PersonaError(f"{path.name}: cannot read YAML: {exc}") from None
    if not isinstance(data, dict):
        raise PersonaError(f"{path.name}: expected a mapping of fields at the top level")
    if "id" in data:
        raise PersonaError(f"{path.name}: field 'id': comes from the file name; remove it")
    try:
        return Persona.model_validate({**data, "id": path.stem})
    except ValidationError as exc:
        problems = "; ".join(
            f"field '{_field_path(err['loc'])}': {err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        )
        raise PersonaError(f"{path.name}: {problems}") from None


class PersonaLibrary:
    """All personas in a directory. Bad files are listed in `errors`; good ones still load."""

    def __init__(self, personas: dict[str, Persona], errors: list[str] | None = None) -> None:
        self._personas = personas
        self.errors: list[str] = errors or []

    @classmethod
    def load(cls, *directories: Path) -> "PersonaLibrary":
        """Personas from `directories`, later ones overriding earlier ones by file name.

        Without arguments: the shipped personas, then the user's folder (see
        `interviewer.resources.user_personas_dir`), which may add personas or replace one."""
        if not directories:
            user = user_personas_dir()
            directories = (PERSONAS_DIR, user) if user.is_dir() else (PERSONAS_DIR,)
        personas: dict[str, Persona] = {}
        errors: list[str] = []
        for directory in directories:
            for path in sorted(directory.glob("*.yaml")):
                try:
                    persona = load_persona(path)
                except PersonaError as exc:
                    errors.append(str(exc))
                    continue
                personas[persona.id] = persona
        if not personas and not errors:
            errors.append(f"{', '.join(map(str, directories))}: no persona files (*.yaml) found")
        return cls(personas, errors)

    def get(self, persona_id: str) -> Persona:
        try:
            return self._personas[persona_id]
        except KeyError:
            known = ", ".join(sorted(self._personas)) or "none"
            raise KeyError(f"unknown persona {persona_id!r} (known: {known})") from None

    def all(self) -> list[Persona]:
        return list(self._personas.values())

    def ids(self) -> list[str]:
        return list(self._personas)

    def __contains__(self, persona_id: object) -> bool:
        return persona_id in self._personas
