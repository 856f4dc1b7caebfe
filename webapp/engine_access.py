"""The interview engine for a chat event, or a plain sentence saying why there is none."""

from __future__ import annotations

from typing import TYPE_CHECKING

from webapp import notices
from webapp.services import ModelUnavailable, get_services

if TYPE_CHECKING:
    from interviewer.interview.engine import InterviewEngine


async def engine_or_error() -> InterviewEngine | None:
    """Waits for the model runtime if it is still starting (the first chat after start-up)."""
    try:
        return await get_services().wait_for_engine()
    except ModelUnavailable as exc:
        await notices.error(
            f"The interview model isn't available ({exc}). Check `interviewer doctor`, then send "
            "your message again."
        )
        return None
