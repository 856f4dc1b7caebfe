"""Another interviewer takes over; the conversation so far is kept."""

from __future__ import annotations

from webapp import notices, personas, saving
from webapp.engine_access import engine_or_error
from webapp.state import state


async def switch_persona(persona_id: str) -> bool:
    """Before the interview: the choice for its start. During it: the engine hands over (a notice
    in the transcript) and the session is saved. False when the model is unavailable (said)."""
    chat = state()
    chat.persona = persona_id
    session = chat.session
    name = personas.name(persona_id)
    if session is None:
        await notices.say(f"**{name}** will interview you. Send any message to begin.")
        return True
    engine = await engine_or_error()
    if engine is None:
        return False
    engine.switch_persona(session, persona_id)
    await saving.save(session)
    await notices.say(f"**{name}** takes over from here; the conversation so far is kept.")
    return True
