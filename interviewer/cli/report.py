"""`interviewer report SESSION_FILE`: regenerate the feedback report of any saved session.

Without a model by default (rewrites are extractive, from the candidate's own sentences), so a
report can always be regenerated offline; `--rewrite-with-model` uses the configured backend.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click
from pydantic import ValidationError

from interviewer.report import RENDERERS, build_report
from interviewer.session import Session

FORMATS = tuple(RENDERERS)


def load_session_file(path: Path) -> Session:
    """A session from a JSON file, or a ClickException that says what is wrong with it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return Session.from_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise click.ClickException(
            f"{path} is not a valid session file: {where}: {first['msg']}"
            + (f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else "")
        ) from None
    except ValueError as exc:  # undecodable bytes
        raise click.ClickException(f"{path} is not a valid session file: {exc}") from None


def stored_sessions(session_id: str | None, user_id: str | None) -> tuple[Session | None, list[Session]]:
    """A session by id and/or a user's sessions from the store (the app's database)."""
    try:
        from interviewer.store import SessionStore

        store = SessionStore()
        try:
            found = store.load(session_id) if session_id else None
            history = store.list_for_user(user_id) if user_id else []
        finally:
            store.close()
    except Exception as exc:  # noqa: BLE001 - any database problem is one clear message
        raise click.ClickException(f"cannot read the session store: {exc}") from None
    return found, history


@click.command("report")
@click.argument("session_file", metavar="SESSION", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output format (default: from --out's extension, else md).")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write here instead of standard output.")
@click.option("--previous", type=click.Path(path_type=Path, dir_okay=False), multiple=True,
              help="An earlier session file of the same user, for the progress section (repeatable).")
@click.option("--history", is_flag=True,
              help="Also compare with this user's earlier sessions saved in the store.")
@click.option("--rewrite-with-model", is_flag=True,
              help="Let the configured model phrase the rewrites (checked against your own words).")
def report(session_file: Path, fmt: str | None, out: Path | None, previous: tuple[Path, ...],
           history: bool, rewrite_with_model: bool) -> None:
    """Build the feedback report of a saved session (md, html, json or pdf).

    SESSION is a session JSON file, or the id of a session saved in the store."""
    if fmt is None:
        suffix = out.suffix.lower().lstrip(".") if out else ""
        fmt = {"markdown": "md", "htm": "html"}.get(suffix, suffix) if suffix else "md"
        if fmt not in FORMATS:
            raise click.UsageError(f"cannot tell the format from {out}; pass --format {'|'.join(FORMATS)}")
    if session_file.exists() or session_file.suffix.lower() == ".json":
        session = load_session_file(session_file)
    else:
        found, _ = stored_sessions(str(session_file), None)
        if found is None:
            raise click.ClickException(f"{session_file}: no such session file, and no stored session with that id")
        session = found
    earlier = [load_session_file(p) for p in previous]
    if history:
        earlier += stored_sessions(None, session.user_id)[1]
    if fmt == "pdf" and out is None and sys.stdout.isatty():
        raise click.UsageError("a PDF needs --out FILE (or redirect standard output)")

    runtime = None
    rewriter = None
    if rewrite_with_model:
        from interviewer.cli.runtime import settings_or_exit, start_runtime
        from interviewer.report.rewrite import rewriter_model

        runtime = start_runtime(settings_or_exit())
        rewriter = rewriter_model(runtime)
    try:
        built = asyncio.run(build_report(session, earlier, rewriter))
    finally:
        if runtime is not None:
            runtime.stop()
    rendered = RENDERERS[fmt](built)
    data = rendered if isinstance(rendered, bytes) else rendered.encode("utf-8")
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"[interviewer] wrote {fmt} report to {out}", err=True)


COMMANDS: list[click.Command] = [report]
