"""Backend selection is configuration only, and a bad configuration says what is wrong."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from interviewer.cli.main import main
from interviewer.config import Backend, load_settings
from interviewer.llm.provider import LLMRuntime, Role, make_chat_model


def test_local_is_the_default_even_when_an_openai_key_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    # Chainlit puts a fake OPENAI_API_KEY in the environment under CI; it must not switch backends.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-from-ci")
    settings = load_settings()
    assert settings.backend is Backend.LOCAL
    assert settings.secret_key() is None


def test_openai_compatible_needs_a_base_url() -> None:
    with pytest.raises(ValidationError, match="INTERVIEWER_BASE_URL"):
        load_settings(backend="openai-compatible")


def test_openai_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ValidationError, match="OPENAI_API_KEY"):
        load_settings(backend="openai")


def test_describe_names_backend_and_model_but_never_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret-123")
    settings = load_settings(backend="openai", model="gpt-4o-mini")
    text = settings.describe()
    assert "backend=openai" in text and "gpt-4o-mini" in text
    assert "sk-very-secret-123" not in text and "sk-very-secret-123" not in repr(settings)


def test_compatible_backend_model_uses_chat_completions_and_body_max_tokens() -> None:
    settings = load_settings(backend="openai-compatible", base_url="http://127.0.0.1:11434/v1", model="llama3")
    runtime = LLMRuntime(settings).start()  # nothing to start for a remote server
    model = runtime.chat_model(Role.INTERVIEWER, max_tokens=50)
    assert model.model_name == "llama3"
    assert str(model.openai_api_base) == "http://127.0.0.1:11434/v1"
    assert model.use_responses_api is False
    assert model.extra_body == {"max_tokens": 50}  # llama.cpp ignores max_completion_tokens


def test_openai_native_model_keeps_max_tokens_as_a_parameter() -> None:
    model = make_chat_model(base_url=None, api_key="sk-x", model="gpt-4o-mini", openai_native=True, max_tokens=20)
    assert model.max_tokens == 20 and not model.extra_body


def test_cli_reports_a_configuration_error_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERVIEWER_BACKEND", "openai-compatible")
    result = CliRunner().invoke(main, ["doctor"])
    assert result.exit_code != 0
    assert "configuration error" in result.output and "INTERVIEWER_BASE_URL" in result.output
    assert "Traceback" not in result.output


def test_evaluation_concurrency_defaults_by_backend() -> None:
    assert load_settings().evaluation_slots == 1  # one local judge server
    remote = load_settings(backend="openai-compatible", base_url="http://127.0.0.1:8001/v1")
    assert remote.evaluation_slots == 8
    assert load_settings(evaluation_concurrency=3).evaluation_slots == 3
