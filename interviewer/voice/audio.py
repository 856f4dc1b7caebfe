"""Raw audio in the shapes the browser and the engines use: 16-bit mono PCM at some rate.

The browser's recorder sends little-endian pcm16 at the rate in `.chainlit/config.toml`
(`[features.audio] sample_rate`), and its player plays pcm16 at that same rate; Whisper wants
float32 at 16 kHz; Piper writes pcm16 at its voice's rate (22,050 Hz for the shipped voice).
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

WHISPER_RATE = 16_000
# What the browser records and plays (kept equal to .chainlit/config.toml; a test checks).
BROWSER_RATE = 24_000

Samples = NDArray[np.float32]


@dataclass(frozen=True)
class Pcm:
    """16-bit little-endian mono samples at `rate` Hz."""

    data: bytes
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.data) / 2 / self.rate if self.rate else 0.0

    def samples(self) -> Samples:
        """The samples as float32 in [-1, 1]."""
        usable = len(self.data) - len(self.data) % 2  # a torn last byte is dropped, not an error
        ints = np.frombuffer(self.data[:usable], dtype="<i2")
        return (ints.astype(np.float32) / 32768.0).astype(np.float32)

    def wav(self) -> bytes:
        """A WAV file of these samples (what speech APIs and <audio> elements take)."""
        out = io.BytesIO()
        with wave.open(out, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(self.rate)
            w.writeframes(self.data[: len(self.data) - len(self.data) % 2])
        return out.getvalue()


def from_samples(samples: Samples, rate: int) -> Pcm:
    clipped = np.clip(samples, -1.0, 1.0)
    return Pcm((clipped * 32767.0).astype("<i2").tobytes(), rate)


def resample(samples: Samples, source_rate: int, target_rate: int) -> Samples:
    """Linear interpolation: enough for speech going to a player or to Whisper, whose own
    front end low-passes to 8 kHz; no filter library needed for a 24k/22.05k/16k change."""
    if source_rate == target_rate or samples.size == 0:
        return samples.astype(np.float32)
    duration = samples.size / source_rate
    count = max(1, int(round(duration * target_rate)))
    positions = np.arange(count, dtype=np.float64) * (source_rate / target_rate)
    return np.interp(positions, np.arange(samples.size), samples).astype(np.float32)


def read_wav(data: bytes) -> Pcm:
    """A mono or stereo 16-bit WAV file as mono Pcm (stereo is averaged)."""
    with wave.open(io.BytesIO(data), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError("only 16-bit WAV files are supported")
        frames = w.readframes(w.getnframes())
        channels, rate = w.getnchannels(), w.getframerate()
    if channels == 1:
        return Pcm(frames, rate)
    ints = np.frombuffer(frames, dtype="<i2").reshape(-1, channels).mean(axis=1)
    return Pcm(ints.astype("<i2").tobytes(), rate)


def loudness(samples: Samples) -> float:
    """Root-mean-square level, 0 for silence (a full-scale sine is about 0.7)."""
    return float(np.sqrt(np.mean(np.square(samples)))) if samples.size else 0.0
