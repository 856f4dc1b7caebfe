"""`/commands` typed in the chat: parsing them, and matching a persona named in `/persona`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

CommandName = Literal["end", "persona", "scores", "ledger", "forget-ledger", "help", "unknown"]

HELP_TEXT = """**Commands**
- `/end`: finish the interview and get your feedback report
- `/persona NAME`: switch interviewer and keep the conversation (e.g. `/persona dour-cto`)
- `/scores on` or `/scores off`: show or hide the scores under each answer
- `/ledger`: the claims kept from your interviews, which a new interview compares your answers with
- `/forget-ledger`: delete those claims (asks first; your interviews and reports stay)
- `/help`: this list

Attach a **PDF, TXT or Markdown** resume or job description with the paperclip, or paste it in
the settings panel, and the interviewer will ask about your own work."""


@dataclass(frozen=True)
class Command:
    name: CommandName
    argument: str = ""


_COMMANDS: dict[str, CommandName] = {
    "end": "end", "finish": "end", "report": "end", "persona": "persona", "switch": "persona",
    "scores": "scores", "ledger": "ledger", "forget-ledger": "forget-ledger", "help": "help", "?": "help",
}


def parse_command(text: str) -> Command | None:
    """`/end`, `/persona dour-cto`, `/scores off`, `/forget-ledger yes`, `/help`; None for ordinary answers.

    Only a leading slash followed by a word counts, so an answer like "/var/log was full" is an
    answer, not an unknown command."""
    stripped = text.strip()
    match = re.fullmatch(r"/([a-zA-Z?]+(?:-[a-zA-Z]+)*)(?:\s+(.*))?", stripped, flags=re.DOTALL)
    if not match:
        return None
    word = match.group(1).lower()
    name = _COMMANDS.get(word)
    if name is None:
        return Command("unknown", word)
    return Command(name, (match.group(2) or "").strip())


def resolve_persona(query: str, personas: Sequence[tuple[str, str]]) -> str | None:
    """Match `/persona` input against (id, display name) pairs: id, name, or a unique prefix."""
    wanted = _slug(query)
    if not wanted:
        return None
    exact = [pid for pid, name in personas if wanted in (_slug(pid), _slug(name))]
    if exact:
        return exact[0]
    partial = [pid for pid, name in personas if _slug(pid).startswith(wanted) or _slug(name).startswith(wanted)]
    return partial[0] if len(partial) == 1 else None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def parse_switch(argument: str) -> bool | None:
    """`on`/`off` and their usual synonyms; None for anything else."""
    value = argument.strip().lower()
    if value in ("on", "show", "yes", "true", "1"):
        return True
    if value in ("off", "hide", "no", "false", "0"):
        return False
    return None
