"""What each `/command` typed in the chat does (parsing: webapp.support.commands)."""

from __future__ import annotations

from dataclasses import replace

from webapp import ending, ledger, notices, personas
from webapp.persona_switch import switch_persona
from webapp.settings_panel import send_settings
from webapp.state import state, user_id
from webapp.support.commands import HELP_TEXT, Command, parse_switch, resolve_persona


async def handle_command(command: Command) -> None:
    if command.name == "end":
        await ending.end_interview()
    elif command.name == "help":
        await notices.say(HELP_TEXT)
    elif command.name == "persona":
        await _persona(command.argument)
    elif command.name == "scores":
        await _scores(command.argument)
    elif command.name == "ledger":
        await ledger.show(user_id())
    elif command.name == "forget-ledger":
        await ledger.forget_command(command.argument, user_id(), state().session)
    else:
        await notices.error(f"`/{command.argument}` isn't a command I know. Type `/help` for the list.")


async def _persona(argument: str) -> None:
    target = resolve_persona(argument, personas.choices())
    if target is None:
        names = ", ".join(f"`{pid}`" for pid, _ in personas.choices())
        await notices.error(f"I don't know an interviewer called “{argument}”. Try one of: {names}.")
        return
    if await switch_persona(target):
        await send_settings(target)


async def _scores(argument: str) -> None:
    value = parse_switch(argument)
    if value is None:
        await notices.error("Use `/scores on` or `/scores off`.")
        return
    chat = state()
    chat.prefs = replace(chat.prefs, show_scores=value)
    await notices.say(f"Scores under each answer are now **{'shown' if value else 'hidden'}**.")
