"""The claim ledger in the browser app (issue 15), driven like tests/test_app_handlers.py: real
handlers in a ChainlitContext with a mocked emitter, the real engine and store, a fake model.
The signed-in user of the `browser` fixture is "alice"."""

from __future__ import annotations

from datetime import UTC, datetime

from test_app_handlers import (  # noqa: F401 - fixtures, used by name
    Browser,
    browser,
    eventually,
    evaluator,
    live_session,
    message,
    model,
    services,
    started,
)

from interviewer.claims import Amount, Claim, Source
from interviewer.session import Session, Turn, TurnKind
from interviewer.store.ledger_table import LedgerEntry
from webapp import ledger, lifecycle, messages, settings_panel
from webapp.services import Services
from webapp.state import state, thread_id
from webapp.support import commands, preferences

SAID = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


def team(size: int, answer: int = 1) -> Claim:
    return Claim(kind="quantity", quote=f"I led a team of {size}.", subject="team", unit="people",
                 amount=Amount(value=size, low=size, high=size), source=Source(origin="answer", answer=answer))


def earlier(user: str, *sizes: int) -> Session:
    """A past interview of `user` whose answer n claimed a team of sizes[n-1]."""
    session = Session(user_id=user, created_at=SAID, updated_at=SAID)
    for size in sizes:
        session.add_turn(Turn(role="interviewer", kind=TurnKind.QUESTION, text="Your team?", created_at=SAID))
        session.add_turn(Turn(role="candidate", kind=TurnKind.ANSWER, text=f"I led a team of {size}.", created_at=SAID))
    session.claims = [team(size, n) for n, size in enumerate(sizes, 1)]
    return session


def quotes(claims: list[Claim]) -> list[str]:
    return [c.quote for c in claims]


# -- a new interview starts with the user's earlier claims -------------------------------------
async def test_a_new_interview_starts_with_this_users_earlier_claims_only(browser: Browser, services: Services) -> None:
    past = earlier("alice", 12, 15)
    await services.store.asave(past)
    await services.store.asave(earlier("bob", 3))
    await started(browser)
    session = live_session()
    assert quotes(session.context.prior_claims) == ["I led a team of 12.", "I led a team of 15."]
    assert {c.source.session_id for c in session.context.prior_claims} == {past.id}
    assert state().prefs.context.prior_claims == []  # the settings panel's context is not the interview's
    stored = services.store.load_by_thread(thread_id())
    assert stored is not None and stored.context.prior_claims == session.context.prior_claims


async def test_a_new_user_starts_with_none(browser: Browser, services: Services) -> None:
    await services.store.asave(earlier("bob", 3))
    await started(browser)
    assert live_session().context.prior_claims == []


async def test_settings_and_uploads_keep_the_earlier_claims(browser: Browser, services: Services) -> None:
    await services.store.asave(earlier("alice", 12))
    await started(browser)
    await settings_panel.update_settings({preferences.SETTING_LEVEL: "senior", preferences.SETTING_RESUME: "Staff engineer at Acme."})
    session = live_session()
    assert session.context.level == "senior" and session.context.resume == "Staff engineer at Acme."
    assert quotes(session.context.prior_claims) == ["I led a team of 12."]


async def test_a_resumed_interview_keeps_what_it_started_with(browser: Browser, services: Services) -> None:
    from chainlit.context import context
    from chainlit.user_session import user_sessions

    await services.store.asave(earlier("alice", 12))
    await started(browser)
    started_with = live_session().context.prior_claims
    await services.store.asave(earlier("alice", 40))  # the ledger grows meanwhile, elsewhere
    user_sessions.pop(context.session.id, None)  # a new process: nothing in memory
    await lifecycle.resume_chat({"id": thread_id(), "metadata": {}})
    assert live_session().context.prior_claims == started_with


# -- /ledger ------------------------------------------------------------------------------------
async def test_ledger_lists_the_claims_of_past_and_current_interviews(browser: Browser, services: Services) -> None:
    await services.store.asave(earlier("alice", 12))
    await services.store.asave(earlier("bob", 3))
    await started(browser)
    await messages.handle_message(message("I led a team of 15."))
    session = live_session()
    session.claims = [team(15)]  # what the engine reads from the answer
    await services.store.asave(session, thread_id=thread_id())
    await messages.handle_message(message("/ledger"))
    shown = browser.texts()[-1]
    assert shown.startswith("**Your claim ledger**: 2 claims kept")
    assert "“I led a team of 12.” (quantity: team 12 people): answer 1" in shown
    assert f"“I led a team of 15.” (quantity: team 15 people): answer 1, interview {session.id[:8]}" in shown
    assert "team of 3" not in shown  # bob's
    assert not session.answers()[-1].text.startswith("/")  # the command was not taken as an answer


async def test_ledger_when_empty(browser: Browser, services: Services) -> None:
    await lifecycle.start_chat()
    await messages.handle_message(message("/ledger"))
    assert browser.texts()[-1].startswith("Your ledger is empty")
    assert state().session is None  # a command does not start the interview


def test_a_long_ledger_lists_the_latest_and_counts_the_rest() -> None:
    entries = [LedgerEntry(team(n).model_copy(update={"source": Source(origin="answer", answer=1, session_id="s")}), SAID)
               for n in range(1, 6)]
    text = ledger.ledger_text(entries, shown=2)
    assert "5 claims kept" in text and "Showing the latest 2" in text
    assert "team of 4." in text and "team of 5." in text and "team of 3." not in text


# -- /forget-ledger ---------------------------------------------------------------------------
async def test_forget_ledger_asks_first_and_deletes_on_the_button(browser: Browser, services: Services) -> None:
    past = earlier("alice", 12, 15)
    await services.store.asave(past)
    await services.store.asave(earlier("bob", 3))
    await started(browser)
    await messages.handle_message(message("/forget-ledger"))
    assert "deletes the **2 claims**" in browser.texts()[-1]
    offered = [a["name"] for a in browser.events("action")]
    assert ledger.FORGET_ACTION in offered and ledger.KEEP_ACTION in offered
    assert len(await services.store.aledger("alice")) == 2  # nothing deleted by asking

    await ledger.forget_from_action()  # the user presses "Delete my ledger"
    assert browser.texts()[-1].startswith("Deleted the 2 claims")
    removed = [a["name"] for a in browser.events("remove_action")]
    assert ledger.FORGET_ACTION in removed and ledger.KEEP_ACTION in removed  # no second press
    assert await services.store.aledger("alice") == []
    assert len(await services.store.aledger("bob")) == 1
    assert live_session().context.prior_claims == []  # this interview stops comparing too
    kept = await services.store.aload(past.id)
    assert kept is not None and len(kept.answers()) == 2  # the interviews stay
    current = services.store.load_by_thread(thread_id())
    assert current is not None and current.context.prior_claims == []


async def test_forget_ledger_yes_deletes_and_anything_else_does_not(browser: Browser, services: Services) -> None:
    await services.store.asave(earlier("alice", 12))
    await lifecycle.start_chat()
    await messages.handle_message(message("/forget-ledger maybe"))
    assert "/forget-ledger yes" in browser.texts()[-1]
    assert len(await services.store.aledger("alice")) == 1
    await messages.handle_message(message("/forget-ledger yes"))
    assert browser.texts()[-1].startswith("Deleted the 1 claims")
    assert await services.store.aledger("alice") == []
    await messages.handle_message(message("/forget-ledger"))
    assert "already empty" in browser.texts()[-1]


async def test_keep_it_keeps_the_ledger(browser: Browser, services: Services) -> None:
    await services.store.asave(earlier("alice", 12))
    await lifecycle.start_chat()
    await messages.handle_message(message("/forget-ledger"))
    await ledger.keep()
    assert browser.texts()[-1] == "Kept your ledger; nothing was deleted."
    assert len(await services.store.aledger("alice")) == 1
    assert {a["name"] for a in browser.events("remove_action")} == {ledger.FORGET_ACTION, ledger.KEEP_ACTION}


def test_the_commands_parse_and_are_in_the_help() -> None:
    assert commands.parse_command("/ledger") == commands.Command("ledger")
    assert commands.parse_command("/forget-ledger") == commands.Command("forget-ledger")
    assert commands.parse_command("/Forget-Ledger yes") == commands.Command("forget-ledger", "yes")
    assert commands.parse_command("/forget-") is None  # not a command word: an answer
    assert "`/ledger`" in commands.HELP_TEXT and "`/forget-ledger`" in commands.HELP_TEXT


# -- deleting a chat from the history ---------------------------------------------------------
async def test_deleting_a_thread_deletes_its_interview_and_claims(services: Services) -> None:
    from webapp.data_layer import HistoryDataLayer

    layer = HistoryDataLayer(services.database_url)
    await layer.setup()
    gone, kept = earlier("alice", 12), earlier("alice", 15)
    await services.store.asave(gone, thread_id="thread-gone")
    await services.store.asave(kept, thread_id="thread-kept")
    try:
        await layer.delete_thread("thread-gone")
    finally:
        await layer.engine.dispose()
    assert await services.store.aload(gone.id) is None
    assert quotes(await services.store.auser_claims("alice")) == ["I led a team of 15."]
