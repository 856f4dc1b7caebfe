"""A score under its answer: a collapsed step, when the candidate wants to see scores."""

from __future__ import annotations

import chainlit as cl

from interviewer.session import DIMENSIONS, Turn
from webapp.state import state
from webapp.support.formatting import evaluation_markdown, score_step_name


async def show_evaluation(turn: Turn) -> None:
    chat = state()
    if not chat.prefs.show_scores:
        return
    session = chat.session
    number = next((i for i, t in enumerate(session.answers(), 1) if t.id == turn.id), None) if session else None
    held = next((t for t in session.turns if t.id == turn.id), None) if session else None
    assessed = session.assessed(held) if session and held else DIMENSIONS
    # The context manager stamps start and end; a step saved without `end` comes back from
    # the database as still running ("Using …") when the thread is reopened.
    async with cl.Step(
        name=score_step_name(turn.evaluation, number, assessed),
        type="tool",
        show_input=False,
        default_open=False,
    ) as step:
        step.output = evaluation_markdown(turn.evaluation, assessed)
