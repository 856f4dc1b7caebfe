"""Fixtures for the browser test: a fake model server, the real app, headless Debian Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from interviewer.config import REPO_ROOT
from testkit.fake_server import FakeServerProcess
from testkit.app_process import AppProcess, app_env

ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeServerProcess]:
    # Small delays so the "thinking" placeholder and streaming are really exercised.
    with FakeServerProcess(ttft=0.05, token_delay=0.005) as fake:
        yield fake


@pytest.fixture(scope="module")
def app_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("app-home")


@pytest.fixture(scope="module")
def app(fake_llm: FakeServerProcess, app_home: Path, request: pytest.FixtureRequest) -> Iterator[AppProcess]:
    """The app of one test module; its log (stdout and stderr) is test-artifacts/e2e-app-<module>.log."""
    ARTIFACTS.mkdir(exist_ok=True)
    module = request.module.__name__.rpartition(".")[2]
    proc = AppProcess(app_env(fake_llm.url, app_home), ARTIFACTS / f"e2e-app-{module}.log")
    proc.log_path.write_text("")
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/install-system-deps.sh` (never `playwright install`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
