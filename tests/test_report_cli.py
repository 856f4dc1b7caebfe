"""`interviewer report SESSION_FILE`: every format, and clear errors instead of tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from interviewer.cli.main import main

SESSIONS = Path(__file__).parent / "data" / "sessions"
PANEL = str(SESSIONS / "unit_panel.json")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize(("fmt", "magic"), [("md", b"# Interview feedback"), ("html", b"<!DOCTYPE html>"),
                                            ("json", b"{"), ("pdf", b"%PDF")])
def test_every_format_to_a_file(runner: CliRunner, tmp_path: Path, fmt: str, magic: bytes) -> None:
    out = tmp_path / f"report.{fmt}"
    result = runner.invoke(main, ["report", PANEL, "--format", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(magic)


def test_format_from_extension_and_stdout(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    assert runner.invoke(main, ["report", PANEL, "--out", str(out)]).exit_code == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    result = runner.invoke(main, ["report", PANEL, "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["session_id"] == "unit-panel-0001"


def test_previous_sessions_feed_progress(runner: CliRunner) -> None:
    result = runner.invoke(main, ["report", PANEL, "--previous", str(SESSIONS / "unit_previous.json")])
    assert result.exit_code == 0
    assert "## Progress (compared with 1 earlier session)" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        (b"", "is not a valid session file"),
        (b"{not json", "is not a valid session file"),
        (b'{"turns": [{"role": "robot"}]}', "turns.0"),
        (b"\xff\xfe\x00garbage", "is not a valid session file"),
    ],
)
def test_bad_session_file_is_a_clear_error(runner: CliRunner, tmp_path: Path, content: bytes | None,
                                           message: str) -> None:
    path = tmp_path / "session.json"
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(main, ["report", str(path)])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_unknown_extension_and_unwritable_out(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["report", PANEL, "--out", str(tmp_path / "r.docx")])
    assert result.exit_code == 2 and "--format" in result.output
    result = runner.invoke(main, ["report", PANEL, "--out", str(tmp_path / "missing" / "r.md")])
    assert result.exit_code == 1 and "cannot write" in result.output


def test_session_from_the_store_with_history(runner: CliRunner, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from interviewer.session import Session
    from interviewer.store import SessionStore

    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("INTERVIEWER_DATABASE_URL", url)
    store = SessionStore(url)
    for name in ("unit_panel.json", "unit_previous.json"):
        store.save(Session.from_json((SESSIONS / name).read_text()))
    store.close()
    result = runner.invoke(main, ["report", "unit-panel-0001", "--history", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["session_id"] == "unit-panel-0001"
    assert data["progress"]["sessions_compared"] == 1
