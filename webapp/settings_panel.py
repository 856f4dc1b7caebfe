"""The welcome screen's chat profiles and the settings panel: what they offer, what a change does."""

from __future__ import annotations

from typing import Any

import chainlit as cl
from chainlit.input_widget import InputWidget, Select, Switch, TextInput

from webapp import ledger, personas, saving
from webapp.persona_switch import switch_persona
from webapp.services import get_services
from webapp.read_aloud import speaking_on
from webapp.state import state
from webapp.support.preferences import (
    LEVELS,
    PROBING_DEPTHS,
    SETTING_DEPTH,
    SETTING_JD,
    SETTING_LEVEL,
    SETTING_PERSONA,
    SETTING_RESUME,
    SETTING_ROLE,
    SETTING_SCORES,
    SETTING_SPEAK,
    AppPreferences,
    preferences_from_settings,
)

STARTERS = 4


def chat_profiles() -> list[cl.ChatProfile]:
    """One profile per persona file; a new personas/*.yaml shows up on the next start."""
    profiles = []
    for index, persona in enumerate(get_services().personas.all()):
        starters = [cl.Starter(label=_short(s), message=s) for s in list(persona.starters)[:STARTERS]]
        profiles.append(
            cl.ChatProfile(
                name=persona.id,
                display_name=persona.name,
                markdown_description=persona.description,
                starters=starters or None,
                default=index == 0,
            )
        )
    return profiles


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def settings_widgets(current: AppPreferences, persona_id: str) -> list[InputWidget]:
    choices = personas.choices()
    ids = [pid for pid, _ in choices] or [persona_id]
    return [
        Select(
            id=SETTING_PERSONA,
            label="Interviewer",
            items={name: pid for pid, name in choices} or {persona_id: persona_id},
            initial_value=persona_id if persona_id in ids else ids[0],
            description="Switch at any time; the conversation carries on.",
        ),
        TextInput(id=SETTING_ROLE, label="Role you're interviewing for", initial=current.context.role),
        Select(id=SETTING_LEVEL, label="Level", values=list(LEVELS), initial_value=current.context.level),
        Select(
            id=SETTING_DEPTH,
            label="Probing depth",
            values=list(PROBING_DEPTHS),
            initial_value=current.probing_depth,
            description="How many follow-ups per question, relative to the interviewer's own style.",
        ),
        Switch(id=SETTING_SCORES, label="Show scores under each answer", initial=current.show_scores),
        Switch(
            id=SETTING_SPEAK,
            label="Read questions aloud",
            initial=speaking_on(),
            description="Each question is spoken as it appears. Press the mic (or P) to answer aloud.",
        ),
        TextInput(
            id=SETTING_JD,
            label="Job description (optional)",
            initial=current.context.job_description,
            multiline=True,
            placeholder="Paste the job posting, or attach it as a file in the chat.",
        ),
        TextInput(
            id=SETTING_RESUME,
            label="Your resume (optional)",
            initial=current.context.resume,
            multiline=True,
            placeholder="Paste your resume, or attach a PDF/TXT/MD file in the chat.",
        ),
    ]


async def send_settings(persona_id: str) -> None:
    await cl.ChatSettings(settings_widgets(state().prefs, persona_id)).send()


async def update_settings(values: dict[str, Any]) -> None:
    """The panel was saved: new context and depth for the live interview, maybe a new persona.
    Under the turn lock, like a message: never in the middle of a question being asked."""
    chat = state()
    async with chat.turn_lock:
        new = preferences_from_settings(values)
        old_persona = chat.persona
        session = chat.session
        chat.prefs = new
        if session is not None:
            session.context = ledger.keep_prior_claims(new.context, session.context)
            session.probing_depth = new.probing_depth
            await saving.save(session)
        if new.persona and new.persona != (session.persona if session else old_persona):
            await switch_persona(new.persona)
