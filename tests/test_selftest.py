"""`interviewer doctor` runs one real token in a child process and names a crash by its signal."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from interviewer.config import load_settings
from interviewer.llm.selftest import run_selftest


def fake_python(tmp_path: Path, body: str) -> str:
    script = tmp_path / "python"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_a_build_that_dies_with_sigill_is_reported_with_the_fix(tmp_path: Path) -> None:
    result = run_selftest(tmp_path / "m.gguf", python=fake_python(tmp_path, "kill -ILL $$"))
    assert not result.ok
    assert "SIGILL" in result.detail and "make rebuild-model-server" in result.detail


def test_an_error_exit_shows_the_last_lines(tmp_path: Path) -> None:
    result = run_selftest(tmp_path / "m.gguf", python=fake_python(tmp_path, "echo 'bad magic' >&2; exit 2"))
    assert not result.ok and "code 2" in result.detail and "bad magic" in result.detail


def test_a_hang_is_a_timeout_not_a_wait_forever(tmp_path: Path) -> None:
    result = run_selftest(tmp_path / "m.gguf", timeout=1, python=fake_python(tmp_path, "sleep 30"))
    assert not result.ok and "no token" in result.detail


@pytest.mark.live
def test_the_real_model_generates_one_token_in_a_child_process() -> None:
    from interviewer.llm.model_files import ensure_model

    settings = load_settings()
    path = ensure_model(settings.cache_dir, settings.model_path, settings.model_wheels_dir).path
    result = run_selftest(path)
    assert result.ok, result.detail
