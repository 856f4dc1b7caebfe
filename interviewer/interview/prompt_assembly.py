"""Prompt assembly for the interviewer: prefix-stable, so llama.cpp reuses its KV cache.

[fixed system prompt (persona, role, rules, context excerpts), one user message: the transcript so
far, then this move's note, last]. The start never changes within a session and persona, and the
transcript only grows at its end.

Issue 14 (first words within 1.5 s on the embedded model): everything up to and including the
candidate's answer can be read by the server *while they type* (`prefix_messages` with the draft,
sent by `interviewer.interview.prewarm`); only what follows the answer, the move note and the chat
template's tail, is read after Enter. So the note holds only what depends on the answer (who
speaks, what to ask) and is capped at NOTE_TOKENS; standing rules live in the system prompt.
"""

from __future__ import annotations

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from interviewer.interview.cleanup import sanitize
from interviewer.interview.moves import Move
from interviewer.interview.personas import Persona
from interviewer.prompt_templates import load_prompt
from interviewer.session import Session
from interviewer.tokens import count_tokens, trim_history_paged, truncate_to_tokens

CONTEXT_TOKENS = 300  # per job description / resume excerpt in the system prompt
# The note after the answer (tiktoken count; Qwen's is within a few tokens). With the blank line
# before it and the chat template's 5-token tail, the server reads about 55 tokens after Enter
# on top of the last words typed after the last prewarm (benchmarks/bench_latency.py measures it).
NOTE_TOKENS = 54
TRANSCRIPT_HEADER = "The interview so far:"
NOTE_SEPARATOR = "\n\n"
CONTEXT_RULE = "- When it fits naturally, connect your questions to the candidate's resume or the job description."


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
    if context_parts:
        context_parts.insert(0, CONTEXT_RULE)
    return load_prompt("interviewer_system").render(
        persona_name=persona.name,
        voice=persona.voice,
        style=persona.style,
        panel=panel,
        role=sanitize(ctx.role) or "software engineer",
        level=sanitize(ctx.level) or "mid-level",
        context="\n\n".join(context_parts),
    )


def transcript(
    session: Session,
    persona: Persona,
    system: SystemMessage,
    *,
    answer_token_budget: int,
    history_token_budget: int,
    draft: str | None = None,
) -> str:
    """The interview so far as one document, optionally ending with `draft` as the candidate's
    line (the answer being typed: used for the prewarm, never stored in the session).

    A small model given the transcript as chat turns tends to answer the last question itself;
    given it as a document to continue, it writes the interviewer's line."""
    lines: list[BaseMessage] = []
    for turn in session.turns:
        if turn.role == "interviewer":
            who = turn.speaker.name if turn.speaker else persona.name
            # Lines of one document, not chat turns: all "human" so trimming keeps any line.
            lines.append(HumanMessage(f"{who}: {turn.text}"))
        elif turn.role == "candidate":
            lines.append(HumanMessage(candidate_line(turn.text, answer_token_budget)))
    if draft is not None:
        lines.append(HumanMessage(candidate_line(draft, answer_token_budget)))
    # Paged trimming: the prompt's beginning stays identical for several turns (KV-cache reuse).
    kept = trim_history_paged([system, *lines], history_token_budget) if lines else [system]
    body = "\n".join(str(m.content) for m in kept[1:]) or "(The interview has not started yet.)"
    return f"{TRANSCRIPT_HEADER}\n{body}"


def candidate_line(text: str, answer_token_budget: int) -> str:
    """How an answer appears in the transcript: the same for the typed draft and the sent answer,
    so the prewarmed prefix is the real prompt's prefix (the engine truncates the same way)."""
    cut, _ = truncate_to_tokens(sanitize(text), answer_token_budget)
    return f"Candidate: {cut}"


def move_note(move: Move) -> str:
    """This move's note, at most NOTE_TOKENS: the task is cut if a (user) persona's example
    phrasing would make it longer (not a `whole_task` move's: a reconcile keeps both quotes). Shipped prompts and personas fit (tests/test_prompt_templates.py)."""
    render = load_prompt("interviewer_move").render
    task = move.task.strip()
    note = render(speaker=move.speaker.name, task=task).strip()
    over = count_tokens(note) - NOTE_TOKENS
    if over > 0 and not move.whole_task:
        cut, _ = truncate_to_tokens(task, max(1, count_tokens(task) - over - 1))
        note = render(speaker=move.speaker.name, task=cut.rstrip() + "…").strip()
    return note


def messages(
    session: Session, persona: Persona, move: Move, *, answer_token_budget: int, history_token_budget: int
) -> list[BaseMessage]:
    """[fixed system prompt, one user message: transcript so far + this move's note (last)].

    The transcript only grows at its end, so every request shares the previous one's prefix
    (KV-cache reuse), and the prewarm's (`prefix_messages`) up to the candidate's last words."""
    system = SystemMessage(system_prompt(session, persona))
    text = transcript(
        session, persona, system, answer_token_budget=answer_token_budget, history_token_budget=history_token_budget
    )
    return [system, HumanMessage(f"{text}{NOTE_SEPARATOR}{move_note(move)}")]


def prefix_messages(
    session: Session, persona: Persona, draft: str, *, answer_token_budget: int, history_token_budget: int
) -> list[BaseMessage]:
    """What the next real request will start with, once `draft` is sent as the answer: the same
    system prompt and transcript, ending with the draft. The chat template then closes the message
    where the real request goes on with the rest of the answer and the note, so the server re-reads
    only from the draft's last word or two."""
    system = SystemMessage(system_prompt(session, persona))
    text = transcript(
        session,
        persona,
        system,
        answer_token_budget=answer_token_budget,
        history_token_budget=history_token_budget,
        draft=draft,
    )
    return [system, HumanMessage(text)]
