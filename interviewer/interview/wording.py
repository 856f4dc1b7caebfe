"""Which words an interviewer line keeps: the model's, the model's repaired, or a template.

The persona's voice should come from the model, not from a handful of fixed strings, so code
first repairs what it can (a name label such as `Morgan: "`, surrounding quotes, a meta preamble,
a lead-in in the candidate's voice or of generic praise, an echoed intro, a second question) and
draws again (`resample`) when a draw is unusable before the candidate saw any of it; it
falls back to the persona's template only when the line is unusable (nothing left, too long, a
closing that is too thin), leaks instructions or scores, is off the decided topic, or repeats an
earlier question. Every interviewer turn records which of the three it is (`Turn.wording`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from interviewer.interview.cleanup import StreamFilter, clean_reply, leaks, question_part, sentences
from interviewer.interview.moves import Move
from interviewer.interview.policy import is_repeat
from interviewer.session import Session, TurnKind, Wording

log = logging.getLogger(__name__)

# Up to two more draws when one is unusable before the candidate saw a word of it: most often the
# 1.5B model opens with "Candidate:" and would write the answer (15 of the 30 template fallbacks
# in benchmarks/conversation.md). The prompt is the same, so the server reads only its last token
# again; the draw differs by its seed. None: the first request, as sent before.
RESAMPLE_SEEDS: tuple[int | None, ...] = (None, 7, 8)


@dataclass(frozen=True)
class Line:
    text: str
    wording: Wording


def model_line(
    session: Session, move: Move, raw: str, names: Sequence[str], said: Sequence[str]
) -> tuple[str | None, str]:
    """The model's line after repairs and "", or None and why it cannot be used for this move
    (the reason is logged and counted by benchmarks/bench_conversation.py)."""
    earlier = [question_part(t.text) for t in session.turns if t.role == "interviewer"]
    text = clean_reply(raw, move.mode, names, said)
    if text is None:
        return None, "unusable"  # nothing left, no question in a question move, or too long
    if move.mode == "question" and not move.lead:
        text = question_part(text)
    if move.mode == "closing":
        lines = [s for t in session.turns if t.role == "interviewer" for s in sentences(t.text)]
        if len(text.split()) < 5:
            return None, "thin closing"
        if any(is_repeat(s, lines) for s in sentences(text)):
            return None, "closing repeats an earlier line"
    if leaks(text, move.private):
        return None, "leaks"
    if move.mode == "question":
        asked = question_part(text)
        if not move.on_target(text if move.target_in_lead else asked):
            return None, "off target"  # the model drifted (e.g. re-asked the previous question)
        if not move.allow_repeat and is_repeat(asked, earlier):
            return None, "repeats an earlier question"
    return text, ""


def _verdict(
    session: Session, move: Move, raw: str, leaked: bool, names: Sequence[str], said: Sequence[str]
) -> tuple[str | None, str]:
    """`model_line`, unless the live draft already saw a leak (then the line is never used)."""
    return (None, "leaks") if leaked else model_line(session, move, raw, names, said)


def resample(
    session: Session, move: Move, flt: StreamFilter, names: Sequence[str], said: Sequence[str]
) -> bool:
    """Whether to draw the phrasing again: unusable, and nothing of it is on screen yet."""
    if flt.shown:
        return False
    text, why = _verdict(session, move, flt.raw, flt.leaked, names, said)
    if text is None:
        log.info("drawing the phrasing again (%s move, %s): %r", move.kind.value, why, flt.raw,
                 extra={"resampled": why})
    return text is None


def choose(
    session: Session, move: Move, raw: str, leaked: bool, names: Sequence[str], said: Sequence[str]
) -> Line | None:
    """The line to record for `move`, or None when a probe would only repeat an earlier question."""
    text, why = _verdict(session, move, raw, leaked, names, said)
    if text is not None:
        # Whitespace aside, any change code made (even a stripped quote) counts as a repair.
        return Line(text, "model" if text == " ".join(raw.split()) else "repaired")
    log.info("model phrasing not used (%s move, %s): %r", move.kind.value, why, raw, extra={"why": why})
    earlier = [question_part(t.text) for t in session.turns if t.role == "interviewer"]
    for fallback in move.fallbacks:
        if move.allow_repeat or move.mode != "question" or not is_repeat(question_part(fallback), earlier):
            return Line(fallback, "template")
    # Every template was already asked. A main question is still asked (it is new content);
    # a probe is dropped so the interviewer never asks the same follow-up twice.
    if move.kind is TurnKind.PROBE or not move.fallbacks:
        return None
    return Line(move.fallbacks[0], "template")
