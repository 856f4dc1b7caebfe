"""Prompt assembly for the interviewer: prefix-stable, so llama.cpp reuses its KV cache.

[fixed system prompt (persona, role, context excerpts), one user message: the transcript so far,
then this move's note, last]. The start never changes within a session and persona.
"""

from __future__ import annotations

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from interviewer.interview.moves import Move
from interviewer.interview.personas import Persona
from interviewer.interview.phrasing import question_part, sanitize
from interviewer.prompts import load_prompt
from interviewer.session import Session
from interviewer.tokens import trim_history_paged, truncate_to_tokens

CONTEXT_TOKENS = 300  # per job description / resume excerpt in the system prompt
AVOID_LAST = 4  # earlier questions listed in the "do not repeat" note
TRANSCRIPT_HEADER = "The interview so far:"


def system_prompt(session: Session, persona: Persona) -> str:
    """Fixed for a session and persona: the start of every request (KV-cache friendly)."""
    panel = ""
    if persona.is_panel:
        lines = [f"- {m.name}, {m.role}" for m in persona.interviewers]
        panel = "The panel:\n" + "\n".join(lines)
    ctx = session.context
    context_parts = []
    if ctx.job_description.strip():
        jd, _ = truncate_to_tokens(sanitize(ctx.job_description), CONTEXT_TOKENS)
        context_parts.append(f"Job description (excerpt):\n{jd}")
    if ctx.resume.strip():
        cv, _ = truncate_to_tokens(sanitize(ctx.resume), CONTEXT_TOKENS)
        context_parts.append(f"Candidate's resume (excerpt):\n{cv}")
    return load_prompt("interviewer_system").render(
        persona_name=persona.name,
        voice=persona.voice,
        style=persona.style,
        panel=panel,
        role=sanitize(ctx.role) or "software engineer",
        level=sanitize(ctx.level) or "mid-level",
        context="\n\n".join(context_parts),
    )


def messages(
    session: Session, persona: Persona, move: Move, *, answer_token_budget: int, history_token_budget: int
) -> list[BaseMessage]:
    """[fixed system prompt, one user message: transcript so far + this move's note (last)].

    A small model given the transcript as chat turns tends to answer the last question itself;
    given it as a document to continue, it writes the interviewer's line. The transcript only
    grows at its end, so every request shares the previous one's prefix (KV-cache reuse)."""
    lines: list[BaseMessage] = []
    for turn in session.turns:
        if turn.role == "interviewer":
            who = turn.speaker.name if turn.speaker else persona.name
            # Lines of one document, not chat turns: all "human" so trimming keeps any line.
            lines.append(HumanMessage(f"{who}: {turn.text}"))
        elif turn.role == "candidate":
            text, _ = truncate_to_tokens(sanitize(turn.text), answer_token_budget)
            lines.append(HumanMessage(f"Candidate: {text}"))
    system = SystemMessage(system_prompt(session, persona))
    # Paged trimming: the prompt's beginning stays identical for several turns (KV-cache reuse).
    kept = trim_history_paged([system, *lines], history_token_budget) if lines else [system]
    transcript = "\n".join(str(m.content) for m in kept[1:]) or "(The interview has not started yet.)"
    earlier = [question_part(t.text) for t in session.turns if t.role == "interviewer"][-AVOID_LAST:]
    avoid = ""
    if earlier and move.mode == "question":
        avoid = "Do not repeat these earlier questions: " + " | ".join(earlier)
    note = load_prompt("interviewer_move").render(speaker=move.speaker.name, task=move.task, avoid=avoid)
    return [system, HumanMessage(f"{TRANSCRIPT_HEADER}\n{transcript}\n\n{note}")]
