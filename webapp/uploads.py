"""Résumés and job descriptions attached in the chat become the interview's context."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import chainlit as cl

from interviewer.session import CandidateContext
from webapp import ledger, notices
from webapp.state import state
from webapp.support.documents import UploadError, classify_upload, extract_upload_text


async def absorb_uploads(message: cl.Message) -> bool:
    """Read the message's files into the context; True if it carried any (readable or not)."""
    files = [(e, path) for e in (message.elements or []) if (path := getattr(e, "path", None))]
    if not files:
        return False
    context = state().prefs.context.model_copy()
    notes: list[str] = []
    for element, path in files:
        name = element.name or "file"
        try:
            data = await asyncio.to_thread(Path(path).read_bytes)
            text = await asyncio.to_thread(extract_upload_text, name, data, getattr(element, "mime", None))
        except UploadError as exc:
            await notices.error(str(exc))
            continue
        except OSError:
            await notices.error(f"I couldn't read {name}; please try uploading it again.")
            continue
        kind = classify_upload(text, name)
        setattr(context, kind, text)
        words = len(text.split())
        label = "job description" if kind == "job_description" else "resume"
        notes.append(f"Got your {label} from **{name}** ({words:,} words). The interviewer will ask about it.")
    if notes:
        set_context(context)
        await notices.say("\n\n".join(notes))
    return True


def set_context(context: CandidateContext) -> None:
    """The panel's context, and the live interview's (which keeps the earlier claims it began with)."""
    chat = state()
    chat.prefs = replace(chat.prefs, context=context)
    if chat.session is not None:
        chat.session.context = ledger.keep_prior_claims(context, chat.session.context)
