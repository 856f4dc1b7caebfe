"""The process-wide objects the handlers use: settings, model runtime, engine, store, data layer.

Built once per app process. The model runtime starts in the background at app start-up (the
embedded model takes a few seconds to load) and the first chat waits for it if it isn't ready.
Tests swap in their own `Services` (fake models, a temporary database) with `set_services`.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interviewer.config import Settings, load_settings
from interviewer.store import SessionStore, resolve_database_url

if TYPE_CHECKING:
    from interviewer.interview.engine import InterviewEngine
    from interviewer.interview.personas import PersonaLibrary
    from interviewer.llm.provider import LLMRuntime

log = logging.getLogger("interviewer.app")


@dataclass
class Services:
    settings: Settings
    personas: PersonaLibrary
    store: SessionStore
    engine: InterviewEngine | None = None  # once the model is up
    report_model: Any = None  # the chat model that rewrites weak answers in the report
    runtime: LLMRuntime | None = None  # None in tests with fake models
    database_url: str = ""
    startup_error: str | None = None
    _ready: threading.Event = field(default_factory=threading.Event)
    _starting: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- model runtime -------------------------------------------------------------------------
    def start_models_in_background(self) -> None:
        with self._lock:
            if self._starting or self._ready.is_set():
                return
            self._starting = True
        threading.Thread(target=self._start_models, name="model-runtime", daemon=True).start()

    def _start_models(self) -> None:
        def say(message: str) -> None:
            print(f"[interviewer] {message}", file=sys.stderr, flush=True)

        try:
            from interviewer.interview.engine import InterviewEngine
            from interviewer.evaluation.scorer import make_evaluator
            from interviewer.interview.probe_head import kind_reader_for
            from interviewer.llm.provider import LLMRuntime, Role
            from interviewer.report.rewrite import rewriter_model
            from interviewer.resilience import log_to_file

            log_to_file(self.settings.cache_dir / "logs" / "interviewer.log", [self.settings.secret_key()])
            runtime = LLMRuntime(self.settings, progress=say).start()
            self.runtime = runtime
            evaluator = make_evaluator(runtime)
            self.engine = InterviewEngine(
                runtime.chat_model(Role.INTERVIEWER, streaming=True),
                self.personas,
                evaluator,
                evaluation_concurrency=self.settings.evaluation_slots,
                prewarm=self.settings.prewarm_enabled,
                kind_reader=kind_reader_for(evaluator, self.settings.probe_reader),
                spoken_read_wait=self.settings.spoken_read_wait,
            )
            # Deterministic and bounded, as the CLI's: unbounded, three rewrites took 76 s of the
            # report's 92 s after /end (benchmarks/bench_report_ready.py, RESULTS.md §8c).
            self.report_model = rewriter_model(runtime)
            self.startup_error = None
            say(f"using {runtime.describe()}")
        except Exception as exc:  # shown to users as a clear message, not a traceback
            self.startup_error = str(exc) or type(exc).__name__
            say(f"could not start the model: {self.startup_error}")
        finally:
            self._ready.set()

    async def wait_for_engine(self, timeout: float | None = None) -> InterviewEngine:
        """The engine, starting the models if needed. Raises ModelUnavailable with the reason."""
        if self.engine is not None:
            return self.engine
        self.start_models_in_background()
        ready = await asyncio.to_thread(self._ready.wait, timeout or self.settings.local_startup_timeout + 60)
        engine = self.started_engine()  # set by the start-up thread meanwhile, or not
        if engine is None:
            reason = self.startup_error or ("the model is still starting" if not ready else "unknown error")
            # Allow a retry on the next message (e.g. after the user fixed the configuration).
            with self._lock:
                self._starting = False
                self._ready.clear()
            raise ModelUnavailable(reason)
        return engine

    def started_engine(self) -> InterviewEngine | None:
        """`engine` read afresh (the start-up thread sets it while a caller awaits)."""
        return self.engine

    def shutdown(self) -> None:
        if self.runtime is not None:
            self.runtime.stop()
        self.store.close()


class ModelUnavailable(RuntimeError):
    pass


_services: Services | None = None


def build_services(settings: Settings | None = None) -> Services:
    from interviewer.interview.personas import PersonaLibrary

    settings = settings or load_settings()
    url = resolve_database_url(settings)
    personas = PersonaLibrary.load()
    for error in getattr(personas, "errors", []):
        log.warning("persona file skipped: %s", error)
    return Services(settings=settings, personas=personas, store=SessionStore(url), database_url=url)


def get_services() -> Services:
    global _services
    if _services is None:
        _services = build_services()
    return _services


def set_services(services: Services | None) -> None:
    """Tests: install services built around fake models (or None to rebuild lazily)."""
    global _services
    _services = services


def files_dir(settings: Settings) -> Path:
    return settings.cache_dir / "files"
