"""What `interviewer doctor` says about speech: what is configured and installed, and whether it
works, by transcribing a spoken sample that ships with the package and speaking one sentence.

Voice is optional: a configuration without it is reported, not failed. A configured and installed
engine that cannot do its job fails the check, as a broken model server does.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from importlib.resources import files

from interviewer.config import Settings, SpeechBackend
from interviewer.voice.audio import read_wav
from interviewer.voice.backends import INSTALL_HINT, make_synthesizer, make_transcriber, plan
from interviewer.voice.text_to_speech import style_for

# What sample.wav says (made with the shipped Piper voice, 16 kHz mono).
SAMPLE_TEXT = "I found the slow query in the logs, and adding an index fixed it."
SAMPLE_WORDS = ("slow", "query", "logs", "index")


@dataclass
class SpeechReport:
    lines: list[str] = field(default_factory=list)
    ok: bool = True


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def check(settings: Settings) -> SpeechReport:
    report = SpeechReport()
    voice = plan(settings)
    if voice.listen:
        where = "embedded" if settings.speech_to_text is SpeechBackend.EMBEDDED else settings.stt_model
        try:
            engine = make_transcriber(settings)
            sample = read_wav(files("interviewer.voice").joinpath("sample.wav").read_bytes())
            started = time.perf_counter()
            heard = engine.transcribe(sample).text
            seconds = time.perf_counter() - started
            missing = [w for w in SAMPLE_WORDS if w not in _words(heard)]
            state = "ok" if not missing else f"FAILED (missed {', '.join(missing)})"
            report.ok &= not missing
            report.lines.append(f"speech→text: {state} ({engine.name}; {sample.seconds:.1f} s sample in "
                                f"{seconds:.1f} s: \u201c{heard}\u201d)")
        except Exception as exc:
            report.ok = False
            report.lines.append(f"speech→text: FAILED ({where}: {type(exc).__name__}: {exc})")
    else:
        report.lines.append(f"speech→text: off ({voice.listen_problem})")
    if voice.speak:
        try:
            synth = make_synthesizer(settings)
            started = time.perf_counter()
            audio = synth.speak("Tell me about a time something broke.", style_for(0))
            seconds = time.perf_counter() - started
            good = audio.seconds > 0.5
            report.ok &= good
            report.lines.append(f"text→speech: {'ok' if good else 'FAILED (no audio)'} ({synth.name}; "
                                f"{audio.seconds:.1f} s of speech in {seconds:.1f} s)")
        except Exception as exc:
            report.ok = False
            report.lines.append(f"text→speech: FAILED ({type(exc).__name__}: {exc})")
    else:
        report.lines.append(f"text→speech: off ({voice.speak_problem})")
    if not (voice.listen or voice.speak) and INSTALL_HINT in (voice.listen_problem or ""):
        report.lines.append("             (the app works without voice: answers are typed)")
    return report
