"""The app's logins (INTERVIEWER_AUTH=password): INTERVIEWER_USERS holds only argon2 hashes.

Entries are `name:<argon2 hash>`, separated by commas or newlines as before; `interviewer add-user
NAME` prints one. argon2id (argon2-cffi, its default parameters: RFC 9106's low-memory profile) is
salted and memory-hard, so a leaked `.env` does not hand out the passwords, and its verify compares
in constant time.

A plain-text entry (the format before issue 26) is refused when the app starts, with the command
that fixes it: accepting it, even with a warning, would keep the password readable in the
environment, and the app has no default login that depends on one.

An argon2 hash has commas of its own (`$m=65536,t=3,p=4$`), so a piece after a comma that is the
rest of a hash's parameters is joined back to it rather than read as a new entry.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from interviewer.config import Settings

log = logging.getLogger("interviewer.passwords")

ADD_USER = "interviewer add-user"
HASH_PREFIX = "$argon2"
# What follows a comma inside an argon2 hash: the next parameter (`t=3`, `p=4$salt$hash`).
_HASH_CONTINUATION = re.compile(r"[a-z]+=\d")
# Names end at the colon and entries at a comma or newline; whitespace would be trimmed away.
_BAD_NAME = re.compile(r"[:,\s]")
# Quoting advice for the mistake a `$`-laden value invites: a shell expanding `$argon2id`, `$v`...
_QUOTE_HINT = "in a shell or .env, put the value in single quotes so its `$` signs are kept"


class UsersConfigError(ValueError):
    """INTERVIEWER_USERS (or INTERVIEWER_AUTH) cannot be used; the message says which entry and
    how to fix it, and never repeats what could be a password."""


def check_name(name: str) -> str:
    """A user name as INTERVIEWER_USERS can hold it: it ends at the first colon, entries end at
    commas and newlines."""
    name = name.strip()
    if not name or _BAD_NAME.search(name):
        raise UsersConfigError(f"user name {name!r} must be non-empty, without ':', ',' or spaces")
    return name


def hash_password(password: str, hasher: PasswordHasher | None = None) -> str:
    """An argon2id hash with a fresh salt. `hasher` exists for tests (cheap parameters); the app
    and `add-user` use argon2-cffi's defaults."""
    if not password:
        raise ValueError("an empty password cannot be used")
    return (hasher or PasswordHasher()).hash(password)


def user_line(name: str, password_hash: str) -> str:
    """One INTERVIEWER_USERS entry."""
    return f"{check_name(name)}:{password_hash}"


def _entries(spec: str) -> list[str]:
    pieces = [p.strip() for line in spec.splitlines() for p in line.split(",")]
    entries: list[str] = []
    for piece in pieces:
        if not piece:
            continue
        if entries and HASH_PREFIX in entries[-1] and ":" not in piece and _HASH_CONTINUATION.match(piece):
            entries[-1] += "," + piece
        else:
            entries.append(piece)
    return entries


def parse_users(spec: str) -> dict[str, str]:
    """`alice:$argon2id$...,bob:$argon2id$...` -> {"alice": "$argon2id$...", ...}.

    Every entry is checked now, at start-up, so a bad one stops the app with its number and user
    name instead of failing that user's logins later."""
    users: dict[str, str] = {}
    for number, entry in enumerate(_entries(spec), start=1):
        where = f"INTERVIEWER_USERS entry {number}"
        name, colon, value = entry.partition(":")
        name, value = name.strip(), value.strip()
        if not colon or not name:
            raise UsersConfigError(
                f"{where} is not name:<argon2 hash>; `{ADD_USER} NAME` prints one ({_QUOTE_HINT})"
            )
        who = f"{where} ({name})"
        if not value.startswith(HASH_PREFIX):
            raise UsersConfigError(
                f"{who} is not an argon2 hash: plain-text passwords are refused. Run "
                f"`{ADD_USER} {name}` and replace the entry with the line it prints "
                f"(if it was a hash, {_QUOTE_HINT})"
            )
        try:
            extract_parameters(value)
        except InvalidHashError:
            raise UsersConfigError(
                f"{who} has a malformed argon2 hash (cut short or edited?); run `{ADD_USER} {name}` "
                f"for a new one ({_QUOTE_HINT})"
            ) from None
        if name in users:
            raise UsersConfigError(f"{who}: {name!r} is listed twice")
        users[name] = value
    return users


def login_users(settings: Settings) -> dict[str, str]:
    """The users who may log in with INTERVIEWER_AUTH=password, checked; called at start-up in
    that mode (INTERVIEWER_USERS means nothing in the other)."""
    users = parse_users(settings.users.get_secret_value() if settings.users else "")
    if not users:
        raise UsersConfigError(
            f"INTERVIEWER_AUTH=password needs INTERVIEWER_USERS=name:<argon2 hash>,...; "
            f"`{ADD_USER} NAME` prints an entry"
        )
    _dummy_hash()  # paid now rather than by the first login with an unknown name
    return users


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return PasswordHasher().hash("no such user")


def verify_password(users: dict[str, str], username: str, password: str) -> bool:
    """Whether `password` is `username`'s. An unknown name is verified against a dummy hash so
    the time taken does not reveal which names exist."""
    stored = users.get(username)
    try:
        PasswordHasher().verify(stored or _dummy_hash(), password)
    except VerifyMismatchError:
        return False
    except (InvalidHashError, VerificationError) as exc:
        # parse_users checked the format; argon2 can still refuse one (e.g. an unknown variant).
        log.warning("login for %r refused: its stored hash cannot be verified (%s)", username, exc)
        return False
    return stored is not None
