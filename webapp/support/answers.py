"""Screening what the candidate typed before it reaches the engine."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# A pasted answer beyond this is almost certainly a document, not something said in an interview.
# The engine separately trims long answers to its token budget for the model (text stays whole).
MAX_ANSWER_CHARS = 20_000

# Control characters a copy-paste can carry; tab, newline and carriage return are kept.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class AnswerCheck:
    """What to do with a message: `text` to send to the engine, or `problem` to show instead."""

    text: str
    problem: str | None = None
    notice: str | None = None  # sent along with the answer (e.g. "I removed control characters")


def looks_binary(text: str) -> bool:
    """NUL bytes, or lots of control / replacement characters: a file dumped into the box."""
    if "\x00" in text:
        return True
    if not text:
        return False
    odd = sum(1 for ch in text if ch == "\ufffd" or (unicodedata.category(ch) == "Cc" and ch not in "\n\r\t"))
    # A stray control character from a copy-paste is cleaned, not refused.
    return odd >= 4 and odd / len(text) > 0.05


def check_answer(text: str | None) -> AnswerCheck:
    """Screen a candidate message before it reaches the engine.

    Empty answers go through: the engine owns the gentle re-prompt. HTML or instructions aimed at
    the interviewer also go through unchanged: Chainlit escapes HTML (unsafe_allow_html = false)
    and the engine/evaluator treat the answer as data, never as instructions."""
    text = text or ""
    if looks_binary(text):
        return AnswerCheck(
            "",
            problem="That looks like binary data rather than an answer, so I didn't send it to "
            "the interviewer. Type or paste your answer as text; to share a resume, attach it "
            "as a PDF, TXT or Markdown file.",
        )
    if len(text) > MAX_ANSWER_CHARS:
        return AnswerCheck(
            "",
            problem=f"That paste is {len(text):,} characters long; an answer in an interview is "
            f"rarely more than a few hundred words. Please answer in your own words (under "
            f"{MAX_ANSWER_CHARS:,} characters). To share a resume or job description, attach the "
            "file instead.",
        )
    cleaned = CONTROL_CHARS.sub("", text)
    notice = "I removed some invisible control characters from your answer." if cleaned != text else None
    return AnswerCheck(cleaned.strip(), notice=notice)
