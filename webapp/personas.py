"""The personas as the chat names them: choices for the panel, display names, panels, the
"thinking" line. A persona id the library doesn't know (a file removed since) falls back to the
id itself rather than failing the chat."""

from __future__ import annotations

from webapp.services import get_services
from webapp.support.formatting import thinking_text as thinking_line

FALLBACK = "friendly-team"


def choices() -> list[tuple[str, str]]:
    """(id, display name) of every persona, in the library's order."""
    return [(p.id, p.name) for p in get_services().personas.all()]


def default() -> str:
    personas = get_services().personas.all()
    return personas[0].id if personas else FALLBACK


def name(persona_id: str) -> str:
    try:
        return get_services().personas.get(persona_id).name
    except Exception:
        return persona_id


def is_panel(persona_id: str) -> bool:
    try:
        return bool(get_services().personas.get(persona_id).is_panel)
    except Exception:
        return False


def thinking_text(persona_id: str) -> str:
    try:
        names = [m.name for m in get_services().personas.get(persona_id).interviewers]
    except Exception:
        names = []
    return thinking_line(names)


def voice_index(persona_id: str, speaker: str | None) -> int:
    """Which voice style speaks for `speaker` (interviewer.voice.text_to_speech.style_for): a
    panel's members differ from one another, single interviewers by their place in the library."""
    library = get_services().personas
    try:
        persona = library.get(persona_id)
    except Exception:
        return 0
    names = [m.name for m in persona.interviewers]
    if persona.is_panel and speaker in names:
        return names.index(speaker)
    ids = [p.id for p in library.all()]
    return ids.index(persona_id) if persona_id in ids else 0
