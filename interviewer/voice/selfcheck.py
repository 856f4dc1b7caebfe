"""What `interviewer doctor` says about speech: what is configured and installed, and whether it
works, by transcribing a spoken sample that ships with the package (and naming its language) and
speaking one sentence.

Voice is optional: a configuration without it is reported, not failed. A configured and installed
engine that cannot do its job fails the check, as a broken model server does.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files

from interviewer.config import Settings, SpeechBackend
from interviewer.voice.audio import Pcm, read_wav
from interviewer.voice.backends import INSTALL_HINT, make_language_identifier, make_synthesizer, make_transcriber, plan
from interviewer.voice.text_to_speech import style_for

# sample.wav (made with the shipped Piper voice, 16 kHz mono) says "I found the slow query in the
# logs, and adding an index fixed it."; the check passes when these words are heard.
SAMPLE_WORDS = ("slow", "query", "logs", "index")


@dataclass
class SpeechReport:
    lines: list[str] = field(default_factory=list)
    ok: bool = True

    def run(self, label: str, where: str, work: Callable[[], tuple[bool, str]]) -> None:
        """One engine's line: `work` says whether it did its job and how; an error fails it."""
        try:
            good, detail = work()
        except Exception as exc:
            good, detail = False, f"FAILED ({where}{type(exc).__name__}: {exc})"
        self.ok &= good
        self.lines.append(f"{label}: {detail}")


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def _transcribe_sample(settings: Settings) -> tuple[bool, str]:
    engine = make_transcriber(settings)
    sample = read_wav(files("interviewer.voice").joinpath("sample.wav").read_bytes())
    started = time.perf_counter()
    heard = engine.transcribe(sample).text
    seconds = time.perf_counter() - started
    missing = [w for w in SAMPLE_WORDS if w not in _words(heard)]
    state = "ok" if not missing else f"FAILED (missed {', '.join(missing)})"
    return not missing, (f"{state} ({engine.name}; {sample.seconds:.1f} s sample in {seconds:.1f} s: "
                         f"\u201c{heard}\u201d)")


def _identify_sample(settings: Settings) -> tuple[bool, str]:
    identifier = make_language_identifier(settings)
    once = read_wav(files("interviewer.voice").joinpath("sample.wav").read_bytes())
    sample = Pcm(once.data * 2, once.rate)  # said twice: one is shorter than an answer that is checked
    started = time.perf_counter()  # the first use loads the model (and joins it into the cache)
    guess = identifier.identify(sample)
    seconds = time.perf_counter() - started
    if guess is None:
        return False, f"FAILED (too little speech found in the sample; {identifier.name})"
    good = not guess.other_language
    state = "ok" if good else f"FAILED (the English sample was heard as {guess.name})"
    return good, (f"{state} ({identifier.name}; the sample heard as {guess.name}, p {guess.probability:.2f}, "
                  f"in {seconds:.1f} s with loading)")


def _speak_sentence(settings: Settings) -> tuple[bool, str]:
    synth = make_synthesizer(settings)
    started = time.perf_counter()
    audio = synth.speak("Tell me about a time something broke.", style_for(0))
    seconds = time.perf_counter() - started
    good = audio.seconds > 0.5
    return good, (f"{'ok' if good else 'FAILED (no audio)'} ({synth.name}; {audio.seconds:.1f} s of speech "
                  f"in {seconds:.1f} s)")


def check(settings: Settings) -> SpeechReport:
    report = SpeechReport()
    voice = plan(settings)
    if voice.listen:
        where = "embedded" if settings.speech_to_text is SpeechBackend.EMBEDDED else settings.stt_model
        report.run("speech→text", f"{where}: ", lambda: _transcribe_sample(settings))
    else:
        report.lines.append(f"speech→text: off ({voice.listen_problem})")
    if voice.check_language:
        report.run("language check", "", lambda: _identify_sample(settings))
    elif voice.listen:  # voice works without it: reported, not failed
        report.lines.append(f"language check: off ({voice.language_problem}; spoken answers in another "
                            "language are not caught)")
    if voice.speak:
        report.run("text→speech", "", lambda: _speak_sentence(settings))
    else:
        report.lines.append(f"text→speech: off ({voice.speak_problem})")
    if not (voice.listen or voice.speak) and INSTALL_HINT in (voice.listen_problem or ""):
        report.lines.append("             (the app works without voice: answers are typed)")
    return report
