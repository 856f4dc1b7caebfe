"""Who is using the app.

Default: one local user and no login form. Chainlit only keeps history for an authenticated user,
so a header-auth callback signs every visitor in as `local`; the login page calls it by itself
and moves on. That is right for `127.0.0.1`. For a shared deployment set INTERVIEWER_AUTH=password
and INTERVIEWER_USERS to `name:<argon2 hash>` entries (`interviewer add-user NAME` prints one): a
real login form, and each user sees only their own threads (Chainlit checks the thread author on
resume, the store filters by user). Both are Settings fields (interviewer/config.py), so `.env`
works; the hashes are parsed and verified by interviewer/passwords.py, which the CLI shares.

CHAINLIT_AUTH_SECRET stays an environment variable: Chainlit itself reads it from os.environ.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from interviewer.config import Settings, load_settings
from interviewer.passwords import UsersConfigError, login_users, verify_password

# app.py signs the single local user in under this name; the CLI's default user is the same one.
from interviewer.session import LOCAL_USER  # noqa: F401

# One error type for a bad login configuration, whichever module finds it.
AuthConfigError = UsersConfigError


def auth_mode(settings: Settings | None = None) -> str:
    """`local` or `password` (INTERVIEWER_AUTH, validated by Settings)."""
    return (settings or load_settings()).auth.value


def configured_users(settings: Settings | None = None) -> dict[str, str]:
    """name -> argon2 hash for the login form. Raises AuthConfigError at start-up for a missing,
    malformed or plain-text INTERVIEWER_USERS, naming the entry and `interviewer add-user`."""
    return login_users(settings or load_settings())


def check_password(users: dict[str, str], username: str, password: str) -> bool:
    """argon2's constant-time verify; an unknown name costs the same as a wrong password. It
    takes about 0.2 s of CPU (that is the point of argon2), so an async caller should run it in
    a thread."""
    return verify_password(users, username, password)


def ensure_auth_secret(cache_dir: Path) -> None:
    """Chainlit signs its session cookies with CHAINLIT_AUTH_SECRET. Keep a generated one in the
    cache (mode 0600) so a restart doesn't sign everyone out."""
    if os.environ.get("CHAINLIT_AUTH_SECRET"):
        return
    path = cache_dir / "chainlit-auth-secret"
    if path.exists():
        secret = path.read_text().strip()
    else:
        cache_dir.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secret)
    os.environ["CHAINLIT_AUTH_SECRET"] = secret
