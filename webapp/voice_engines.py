"""The speech engines of this app process, loaded on first use (about a second each) and shared by
every chat, with the language check that comes with embedded speech to text. Tests put their own
in with `set_voice_engines`."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from interviewer.voice.backends import SpeechPlan, make_language_identifier, make_synthesizer, make_transcriber, plan
from interviewer.voice.language import LanguageIdentifier
from interviewer.voice.speech_to_text import Transcriber, hold_nothing
from interviewer.voice.text_to_speech import Synthesizer
from webapp.services import get_services

log = logging.getLogger("interviewer.app")


@dataclass
class VoiceEngines:
    plan: SpeechPlan
    transcriber: Transcriber | None = None
    synthesizer: Synthesizer | None = None
    identifier: LanguageIdentifier | None = None


_engines: VoiceEngines | None = None
_lock = threading.Lock()


def set_voice_engines(engines: VoiceEngines | None) -> None:
    global _engines
    _engines = engines


def _current() -> VoiceEngines:
    """This process's engines, their plan read once (nothing loaded yet)."""
    global _engines
    with _lock:
        if _engines is None:
            settings = get_services().settings
            _engines = VoiceEngines(plan(settings))
            voice = _engines.plan
            if voice.listen and not voice.check_language:  # said once: voice works without it
                # Turned off by the user: news, not a warning.
                say = log.warning if settings.speech_language_check else log.info
                say("spoken answers are not checked for another language: %s", voice.language_problem)
        return _engines


def speech_plan() -> SpeechPlan:
    return _current().plan


def _load(listen: bool) -> VoiceEngines:
    engines = _current()
    with _lock:
        settings = get_services().settings
        if listen and engines.plan.listen and engines.transcriber is None:
            engines.transcriber = make_transcriber(settings, _hold_foreground)
        if listen and engines.plan.check_language and engines.identifier is None:
            engines.identifier = make_language_identifier(settings, _hold_foreground)
        if not listen and engines.plan.speak and engines.synthesizer is None:
            engines.synthesizer = make_synthesizer(settings)
        return engines


def _hold_foreground() -> Callable[[], None]:
    """Candidate first: the evaluator's server pauses while the answer is transcribed, as it
    does for an interviewer request (llm/scheduler.py). Looked up each time: the runtime starts
    after the app, and a restarted runtime has a gate of its own."""
    runtime = get_services().runtime
    gate = runtime.foreground if runtime is not None else None
    return gate.hold() if gate is not None else hold_nothing()


async def transcriber() -> Transcriber | None:
    """The speech recogniser, or None when this configuration has none (speech_plan says why)."""
    engines = await asyncio.to_thread(_load, True)
    return engines.transcriber


async def synthesizer() -> Synthesizer | None:
    engines = await asyncio.to_thread(_load, False)
    return engines.synthesizer


def loaded_transcriber() -> Transcriber | None:
    """The speech recogniser if it is already loaded (never loads: for synchronous callers)."""
    return _engines.transcriber if _engines is not None else None


def language_identifier() -> LanguageIdentifier | None:
    """The language check, once the recogniser is loaded (None: answers are not checked)."""
    return _engines.identifier if _engines is not None else None

