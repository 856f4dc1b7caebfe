"""`add-user`: a login for the browser app's password mode (INTERVIEWER_AUTH=password).

The project keeps its logins in one setting, INTERVIEWER_USERS, not in a file of its own, so the
command prints the entry to add there rather than writing anywhere. The entry goes to stdout alone
(scripts can collect it), the advice to stderr; the password is never printed.
"""

from __future__ import annotations

import sys

import click

from interviewer.passwords import UsersConfigError, check_name, hash_password, user_line

ADVICE = (
    "Add the line below to INTERVIEWER_USERS in .env or the environment, in single quotes so its "
    "$ signs are kept, entries separated by commas, e.g. INTERVIEWER_USERS='alice:$argon2id$...,"
    "bob:$argon2id$...'; restart the app with INTERVIEWER_AUTH=password."
)


def _read_stdin_password() -> str:
    text = sys.stdin.read()
    password = text.removesuffix("\n").removesuffix("\r")
    if "\n" in password or "\r" in password:
        raise click.UsageError("--password-stdin takes one line; the input has several")
    return password


@click.command("add-user")
@click.argument("name")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input (for scripts) instead of asking twice.")
def add_user(name: str, password_stdin: bool) -> None:
    """Hash a password for NAME (argon2) and print the INTERVIEWER_USERS entry for it."""
    try:
        name = check_name(name)
    except UsersConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from None
    if password_stdin:
        password = _read_stdin_password()
    else:
        # click asks again when the two differ and when the answer is empty; the prompts go to
        # stderr so that stdout carries the entry alone.
        password = str(
            click.prompt(f"Password for {name}", hide_input=True, confirmation_prompt=True, err=True)
        )
    if not password:
        raise click.UsageError("the password is empty")
    entry = user_line(name, hash_password(password))
    click.echo(ADVICE, err=True)
    click.echo(entry)


COMMANDS: list[click.Command] = [add_user]
