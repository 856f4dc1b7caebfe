"""`interviewer ledger show|delete`: the claims kept from a user's interviews (what a new interview
compares your answers with), listed in your own words, and deleted on request. The ledger lives
in the same database as the app's, so this is the ledger the browser's `/ledger` shows too."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TypeVar

import click

from interviewer.cli.runtime import open_store, settings_or_exit
from interviewer.session import LOCAL_USER
from interviewer.store import SessionStore, StoreError

T = TypeVar("T")

user_option = click.option(
    "--user", default=LOCAL_USER, show_default=True,
    help="Whose ledger: the name signed in to the app ('local' when it has no logins).",
)


def stdin_is_terminal() -> bool:
    """Whether someone can be asked to confirm (a function, so tests can say yes)."""
    return sys.stdin.isatty()


def with_store(work: Callable[[SessionStore], T]) -> T:
    """Run one store call; a database problem is one clear message, never a traceback."""
    store = open_store(settings_or_exit())
    try:
        return work(store)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()


@click.group("ledger")
def ledger() -> None:
    """The claims kept from your interviews, which a new interview compares your answers with."""


@ledger.command("show")
@user_option
@click.option("--json", "as_json", is_flag=True, help="Print the stored claims as JSON.")
def show(user: str, as_json: bool) -> None:
    """List every stored claim: its quote, what kind of fact it is, and where and when it was said."""
    entries = with_store(lambda store: store.ledger(user))
    if as_json:
        click.echo(json.dumps([entry.to_json() for entry in entries], indent=2, ensure_ascii=False))
        return
    if not entries:
        click.echo(f"No claims are stored for {user}.")
        return
    click.echo(f"{len(entries)} claims stored for {user}, oldest first:")
    for entry in entries:
        click.echo(f"- {entry.line()}")


@ledger.command("delete")
@user_option
@click.option("--yes", is_flag=True, help="Delete without asking (needed when not run from a terminal).")
def delete(user: str, yes: bool) -> None:
    """Delete every stored claim of a user. Interviews, transcripts and reports are kept."""
    if not yes:
        if not stdin_is_terminal():
            raise click.UsageError(
                "not deleting: standard input is not a terminal, so I can't ask you to confirm. "
                "Run `interviewer ledger delete --yes` to delete without asking."
            )
        click.confirm(f"Delete every claim stored for {user}? Interviews and reports are kept.", abort=True)
    deleted = with_store(lambda store: store.delete_user_ledger(user))
    click.echo(f"Deleted {deleted} claims from {user}'s ledger. Interviews and reports are kept.")


COMMANDS: list[click.Command] = [ledger]
