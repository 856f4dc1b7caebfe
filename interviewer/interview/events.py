"""What the engine yields while it works: streamed text, finished turns and notices.

`TokenEvent`s are a live draft of the interviewer's next line for the UI. The `TurnEvent` that
follows carries the final text, which is authoritative: code may have trimmed the draft (one
question kept, labels stripped) or replaced it with the persona's template phrasing (leak,
repetition), so a UI should replace the streamed draft with `turn.text` when the turn arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from interviewer.session import Turn

NoticeLevel = Literal["info", "warning", "error"]


@dataclass(frozen=True, slots=True)
class TokenEvent:
    """A streamed piece of the interviewer's next line (draft; see the module docstring)."""

    text: str
    # Who is speaking (a panel member's name), so a voice can be chosen before the line is done.
    speaker: str | None = None
    # The line so far is whole and the rest comes after a pause (the next move is still being
    # decided): a voice says it now instead of waiting for the next sentence to start.
    pause: bool = False


@dataclass(frozen=True, slots=True)
class TurnEvent:
    """A turn was appended to the session (the candidate's answer is yielded before any model call)."""

    turn: Turn


@dataclass(frozen=True, slots=True)
class NoticeEvent:
    """Something the candidate should know: empty answer, truncation, model unavailable, ..."""

    text: str
    level: NoticeLevel = "info"


Event = TokenEvent | TurnEvent | NoticeEvent
