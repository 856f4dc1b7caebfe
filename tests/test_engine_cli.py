"""`interviewer rehearse` end to end over HTTP against the loopback fake OpenAI server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from interviewer.cli.main import main
from interviewer.cli.interview import read_answers
from interviewer.session import Session, TurnKind
from testkit import FakeLLMServer

DATA = Path(__file__).parent / "data"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    with FakeLLMServer() as server:
        monkeypatch.setenv("INTERVIEWER_BACKEND", "openai-compatible")
        monkeypatch.setenv("INTERVIEWER_BASE_URL", server.url)
        yield server


def test_read_answers_splits_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("first line\nsame answer\n\n\n  second  \n\n")
    assert read_answers(path) == ["first line\nsame answer", "second"]
    assert len(read_answers(DATA / "answers_normal.txt")) >= 10


@pytest.mark.parametrize("persona", ["friendly-team", "dour-cto", "structured-panel"])
def test_rehearse_writes_transcript_and_report(fake, tmp_path: Path, persona: str) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["rehearse", "--persona", persona, "--answers", str(DATA / "answers_evasive.txt"), "--out", str(out), "--no-eval"],
    )
    assert result.exit_code == 0, result.output
    assert "backend=openai-compatible" in result.output  # says which backend/model at start
    session = Session.from_json((out / "transcript.json").read_text())
    assert session.persona == persona and session.finished
    assert session.turns[-1].kind is TurnKind.CLOSING
    assert any(t.kind is TurnKind.PROBE for t in session.turns)
    assert (out / "report.md").read_text().strip()
    assert json.loads((out / "transcript.json").read_text())["schema_version"] >= 1


def test_rehearse_rejects_unknown_persona_without_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["rehearse", "--persona", "nobody", "--answers", str(DATA / "answers_normal.txt"), "--out", str(tmp_path)]
    )
    assert result.exit_code != 0 and "unknown persona" in result.output and "Traceback" not in result.output


def test_practice_runs_interactively_and_prints_the_report_path(fake, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("INTERVIEWER_CACHE_DIR", str(tmp_path / "interviewer"))
    result = CliRunner().invoke(
        main, ["practice", "--persona", "dour-cto", "--no-eval"],
        input="I build routing\nsoftware.\n\n\n/persona nobody\n/persona friendly-team\n/end\n",
    )
    assert result.exit_code == 0, result.output
    assert "backend=openai-compatible" in result.output
    assert "Friendly team takes over" in result.output and "unknown persona" in result.output
    path = Path(result.output.strip().splitlines()[-1].split(": ", 1)[1])
    assert path.is_file() and path.parent.parent.parent == tmp_path / "interviewer"
    session = Session.from_json((path.parent / "transcript.json").read_text())
    assert session.finished and session.persona == "friendly-team"
    assert any(t.kind is TurnKind.REPROMPT for t in session.turns)  # the blank line
