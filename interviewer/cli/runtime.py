"""Settings and the model runtime, shared by every command that talks to a model."""

from __future__ import annotations

from pathlib import Path

import click
from pydantic import ValidationError

from interviewer.config import Settings, load_settings
from interviewer.llm.local import LocalServerError
from interviewer.llm.model_files import ModelFileError
from interviewer.llm.provider import LLMRuntime
from interviewer.resilience import log_to_file
from interviewer.store import SessionStore, resolve_database_url


def log_path(settings: Settings) -> Path:
    """This process's log (the embedded servers log next to it, one file per role)."""
    return settings.cache_dir / "logs" / "interviewer.log"


def settings_or_exit() -> Settings:
    """Settings errors are configuration mistakes: say which, never a traceback."""
    try:
        return load_settings()
    except ValidationError as exc:
        messages = "; ".join(err["msg"].removeprefix("Value error, ") for err in exc.errors())
        raise click.ClickException(f"configuration error: {messages}") from None


def open_store(settings: Settings) -> SessionStore:
    """The database the app uses too, so the CLI and the browser share one claim ledger.
    Opening is lazy: a problem surfaces as StoreError on the first call."""
    return SessionStore(resolve_database_url(settings))


def start_runtime(settings: Settings, quiet: bool = False) -> LLMRuntime:
    """Start the configured backend and say on stderr which backend and model are in use."""
    def say(message: str) -> None:
        if not quiet:
            click.echo(f"[interviewer] {message}", err=True)

    log_to_file(log_path(settings), [settings.secret_key()])
    runtime = LLMRuntime(settings, progress=say)
    try:
        runtime.start()
    except (ModelFileError, LocalServerError) as exc:
        raise click.ClickException(str(exc)) from None
    say(f"using {runtime.describe()}")
    return runtime
