"""Who is using the app.

Default: one local user and no login form. Chainlit only keeps history for an authenticated user,
so a header-auth callback signs every visitor in as `local`; the login page calls it by itself
and moves on. That is right for `127.0.0.1`. For a shared deployment set INTERVIEWER_AUTH=password
and INTERVIEWER_USERS="alice:secret1,bob:secret2": a real login form, and each user sees only
their own threads (Chainlit checks the thread author on resume, the store filters by user).
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

# app.py signs the single local user in under this name; the CLI's default user is the same one.
from interviewer.session import LOCAL_USER  # noqa: F401


class AuthConfigError(ValueError):
    pass


def auth_mode(env: dict[str, str] | None = None) -> str:
    environ = os.environ if env is None else env
    mode = (environ.get("INTERVIEWER_AUTH") or "local").strip().lower()
    if mode not in ("local", "password"):
        raise AuthConfigError(f"INTERVIEWER_AUTH must be 'local' or 'password', not {mode!r}")
    return mode


def parse_users(spec: str) -> dict[str, str]:
    """`alice:pw1,bob:pw2` (commas or newlines) -> {"alice": "pw1", "bob": "pw2"}."""
    users: dict[str, str] = {}
    for item in spec.replace("\n", ",").split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, password = item.partition(":")
        if not sep or not name.strip() or not password:
            raise AuthConfigError("INTERVIEWER_USERS entries look like name:password")
        users[name.strip()] = password
    return users


def configured_users(env: dict[str, str] | None = None) -> dict[str, str]:
    environ = os.environ if env is None else env
    users = parse_users(environ.get("INTERVIEWER_USERS", ""))
    if not users:
        raise AuthConfigError("INTERVIEWER_AUTH=password needs INTERVIEWER_USERS=name:password,...")
    return users


def check_password(users: dict[str, str], username: str, password: str) -> bool:
    expected = users.get(username)
    # Compare even for unknown users so timing doesn't reveal which names exist.
    return hmac.compare_digest((expected or secrets.token_hex(16)).encode(), password.encode()) and expected is not None


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
