"""The settings panel as plain data: its widget ids, its choices, and `AppPreferences`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from interviewer.session import CandidateContext
from webapp.support.documents import normalise_context_text

SETTING_PERSONA = "persona"
SETTING_ROLE = "role"
SETTING_LEVEL = "level"
SETTING_JD = "job_description"
SETTING_RESUME = "resume"
SETTING_DEPTH = "probing_depth"
SETTING_SCORES = "show_scores"
SETTING_SPEAK = "speak_questions"

ProbingDepth = Literal["light", "normal", "deep"]
LEVELS: tuple[str, ...] = ("junior", "mid-level", "senior", "staff", "principal")
DEFAULT_ROLE = "Software engineer"
DEFAULT_LEVEL = "mid-level"
PROBING_DEPTHS: tuple[ProbingDepth, ...] = ("light", "normal", "deep")


@dataclass(frozen=True)
class AppPreferences:
    """The settings panel as plain data."""

    persona: str | None
    context: CandidateContext
    probing_depth: ProbingDepth = "normal"
    show_scores: bool = True
    # Read the questions aloud; None until the panel is saved: the app's default then
    # (INTERVIEWER_SPEAK_QUESTIONS, webapp.read_aloud.speaking_on).
    speak_questions: bool | None = None


def preferences_from_settings(values: Mapping[str, Any]) -> AppPreferences:
    """Whatever the panel sent (or nothing), as preferences: unknown choices fall back to the
    defaults and pasted text is cleaned as an upload would be."""
    role = str(values.get(SETTING_ROLE) or "").strip()[:120] or DEFAULT_ROLE
    level = str(values.get(SETTING_LEVEL) or DEFAULT_LEVEL)
    if level not in LEVELS:
        level = DEFAULT_LEVEL
    depth = str(values.get(SETTING_DEPTH) or "normal")
    context = CandidateContext(
        role=role,
        level=level,
        job_description=normalise_context_text(str(values.get(SETTING_JD) or "")),
        resume=normalise_context_text(str(values.get(SETTING_RESUME) or "")),
    )
    persona = values.get(SETTING_PERSONA)
    return AppPreferences(
        persona=str(persona) if persona else None,
        context=context,
        probing_depth=depth if depth in PROBING_DEPTHS else "normal",
        show_scores=bool(values.get(SETTING_SCORES, True)),
        speak_questions=bool(values[SETTING_SPEAK]) if SETTING_SPEAK in values else None,
    )


def default_preferences() -> AppPreferences:
    return preferences_from_settings({})
