"""The claim ledger in the chat (issue 15).

A new interview starts with the user's claims from earlier interviews (`prior_claims`, read from
the store); a resumed one keeps what it started with. `/ledger` lists what is kept, in the
candidate's own words; `/forget-ledger` deletes it after an explicit yes: the **Delete my
ledger** button, or `/forget-ledger yes` typed. Interviews, transcripts and reports stay.

The text builders are plain functions (tested without a socket); the handlers send messages.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import chainlit as cl

from interviewer.claims import Claim
from interviewer.session import CandidateContext, Session
from interviewer.store import StoreError
from interviewer.store.ledger_table import LedgerEntry
from webapp import saving
from webapp.services import get_services
from webapp.state import state, user_id

log = logging.getLogger("interviewer.app")

FORGET_ACTION = "forget_ledger"
KEEP_ACTION = "keep_ledger"
# A chat message, not a report: the most recent claims are listed, the rest counted;
# `interviewer ledger show` lists them all.
SHOWN = 100


# -- plain text ------------------------------------------------------------------------------
def ledger_text(entries: Sequence[LedgerEntry], shown: int = SHOWN) -> str:
    if not entries:
        return ("Your ledger is empty: no claims are kept from your interviews yet. Facts you state "
                "in an interview (team sizes, dates, roles, what you built) are kept here, so the next "
                "interview can notice when a story changes.")
    listed = entries[-shown:]
    head = (f"**Your claim ledger**: {len(entries)} claims kept from your interviews, oldest first. "
            "A new interview compares what you say with these; `/forget-ledger` deletes them "
            "(your interviews and reports stay).")
    if len(listed) < len(entries):
        head += f"\n\nShowing the latest {len(listed)}; `interviewer ledger show` lists all {len(entries)}."
    return "\n".join([head, "", *(f"- {entry.line()}" for entry in listed)])


def confirmation_text(count: int) -> str:
    return (f"This deletes the **{count} claims** kept from your interviews, so new interviews no "
            "longer compare your answers with them. Your interviews, transcripts and reports stay. "
            "Press **Delete my ledger**, or type `/forget-ledger yes`.")


def keep_prior_claims(new: CandidateContext, old: CandidateContext) -> CandidateContext:
    """The settings panel and uploads replace the context; the earlier claims the interview
    started with are not a setting, so they carry over."""
    return new.model_copy(update={"prior_claims": old.prior_claims})


# -- store calls -----------------------------------------------------------------------------
async def prior_claims(user: str) -> list[Claim]:
    """The user's earlier claims for a new interview; a database problem costs the comparison,
    never the interview."""
    try:
        return await get_services().store.auser_claims(user)
    except StoreError:
        log.warning("earlier claims not loaded for a new interview", exc_info=True)
        return []


# -- handlers --------------------------------------------------------------------------------
async def show(user: str) -> None:
    try:
        entries = await get_services().store.aledger(user)
    except StoreError:
        log.exception("reading the ledger failed")
        await _say("⚠️ I couldn't read your ledger from the database just now; please try again.")
        return
    await _say(ledger_text(entries))


async def forget_command(argument: str, user: str, session: Session | None) -> None:
    """`/forget-ledger` asks; `/forget-ledger yes` deletes."""
    answer = argument.strip().lower()
    if answer == "yes":
        await forget(user, session)
    elif answer:
        await _say("⚠️ Type `/forget-ledger yes` to delete your ledger, or just carry on to keep it.")
    else:
        await ask(user)


async def ask(user: str) -> None:
    try:
        count = len(await get_services().store.aledger(user))
    except StoreError:
        log.exception("reading the ledger failed")
        await _say("⚠️ I couldn't read your ledger from the database just now; please try again.")
        return
    if count == 0:
        await _say("Your ledger is already empty: there is nothing to delete.")
        return
    actions = [
        cl.Action(name=FORGET_ACTION, payload={}, label="Delete my ledger", icon="trash-2"),
        cl.Action(name=KEEP_ACTION, payload={}, label="Keep it", icon="x"),
    ]
    message = cl.Message(content=confirmation_text(count), author="Interviewer", actions=actions)
    await message.send()
    state().ledger_confirmation = message


async def forget_from_action() -> None:
    """The Delete button. Under the turn lock: deleting clears the live interview's earlier
    claims and saves it."""
    chat = state()
    async with chat.turn_lock:
        await forget(user_id(), chat.session)


async def forget(user: str, session: Session | None) -> None:
    """Delete the ledger, and the live interview's copy of the earlier claims with it."""
    await _close_confirmation()
    store = get_services().store
    try:
        deleted = await store.adelete_user_ledger(user)
        if session is not None and session.context.prior_claims:
            session.context.prior_claims = []
            await saving.save(session)
    except StoreError:
        log.exception("deleting the ledger failed")
        await _say("⚠️ I couldn't delete your ledger just now; nothing was changed. Please try again.")
        return
    await _say(f"Deleted the {deleted} claims kept from your interviews. Your interviews and reports are still here.")


async def keep() -> None:
    await _close_confirmation()
    await _say("Kept your ledger; nothing was deleted.")


async def _close_confirmation() -> None:
    """A choice was made: take both buttons off the question so neither is pressed later."""
    chat = state()
    message, chat.ledger_confirmation = chat.ledger_confirmation, None
    if message is None:
        return
    for action in list(message.actions or []):
        try:
            await action.remove()
        except Exception:  # the browser may be gone; the buttons go with it
            pass
    message.actions = []


async def _say(text: str) -> None:
    await cl.Message(content=text, author="Interviewer").send()
