"""The app's report rewrites use the bounded rewriter (`rewriter_model`), as the CLI does: the
unbounded evaluator model took 76 s of the 92 s from /end to the report (benchmarks/RESULTS.md §8c)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from interviewer import resilience
from interviewer.config import Backend, load_settings
from interviewer.report.rewrite import REWRITE_MAX_TOKENS
from webapp.services import build_services


async def test_app_rewrites_are_bounded_and_deterministic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The app's log file would stay on the root logger for the rest of the test run.
    monkeypatch.setattr(resilience, "log_to_file", lambda *a, **k: logging.NullHandler())
    # Building the models sends no request, so no server is needed: nothing listens on port 9.
    settings = load_settings(backend=Backend.OPENAI_COMPATIBLE, base_url="http://127.0.0.1:9/v1", cache_dir=tmp_path)
    services = build_services(settings)
    try:
        await services.wait_for_engine(timeout=30)
        assert services.report_model.extra_body == {"max_tokens": REWRITE_MAX_TOKENS}
        assert services.report_model.temperature == 0.0
    finally:
        services.shutdown()
