"""Turning the model's raw reply into one clean interviewer line, and cleaning candidate text.

A small model, asked for one question, often adds a name label ("Interviewer:"), quotes, a second
question, the candidate's imagined reply, or echoes its instructions. Code fixes what it can
(keep one question, strip labels and quotes) and rejects what it cannot (instruction text,
scores, "as an AI"): the engine then falls back to the persona's template phrasing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from interviewer.interview.policy import normalize
from interviewer.text import sentence_texts

Mode = Literal["question", "answer", "closing"]

MAX_WORDS = 60
# A line that opens in the candidate's voice and has no question after this many words is the
# model telling the candidate's story; the live draft stops reading it.
STORY_WORDS = 25
# A lead-in where the model slips into the candidate's voice ("I have experience in Python.").
# Seen after the note got short (issue 14): "I implemented a distributed caching mechanism ... How
# did you solve it?" An interviewer does not open by claiming the candidate's work.
_CANDIDATE_VOICE = re.compile(
    r"^(?:I (?:have|am|was|worked|built|led|did|used|implemented|designed|developed|created|wrote|added|fixed|"
    r"migrated|deployed|reduced|improved|optimi[sz]ed|introduced|rewrote|refactored|set up)\b|I'(?:ve|m)\b|"
    r"My (?:experience|background|role)\b|I'd be (?:happy|glad) to (?:share|tell|talk|explain)\b)"
)
# A lead-in that only praises ("Great answer!", "That's impressive.") or only acknowledges
# ("Understood.", "Got it."): generic, so it is dropped; an interviewer who listened says something
# specific or nothing (and after a spoken answer the persona's `heard` line has said "Okay." already).
_PRAISE = re.compile(
    r"^(?:(?:oh|wow|ah|well),?\s+)?(?:(?:that'?s|that is|what|such)\s+(?:a\s+|an\s+)?(?:really\s+|very\s+)?)?"
    r"(?:great|good|excellent|fantastic|wonderful|impressive|interesting|amazing|awesome|nice|brilliant|"
    r"perfect|thanks|thank you|understood|got it|i see|noted|makes sense|fair enough)(?:\s+(?:answer|story|point|example|question|job|work|one|insight|to hear))?"
    r"(?:\s+(?:for sharing|for that))?\s*[.!]*$",
    re.IGNORECASE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]")
_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.IGNORECASE | re.DOTALL)
_GENERIC_LABELS = r"interviewer|question|q|assistant|ai|panel|panellist|cto|hiring manager|team|response|reply|next question"
# First words `draft` may still remove (acknowledgements, "Here is..."), so a stream waits on them.
_HOLD_WORDS = ("sure", "okay", "ok", "certainly", "of", "alright", "absolutely", "here", "think")
# Where the model starts writing the candidate's side (or notes), everything after is dropped.
_OTHER_SIDE = re.compile(
    r"(?:^|\n|\s)(?:\*\*)?(?:candidate|user|human|you|me|answer|a|note|notes|score|evaluation)\s*(?:\*\*)?\s*:",
    re.IGNORECASE,
)
# "Sure! Here is the question:" and similar meta preambles.
_META = re.compile(
    r"^(?:(?:sure|okay|ok|certainly|of course|alright)[!,.]?\s*)?here(?:'s| is)\b[^:?]{0,40}:\s*", re.IGNORECASE
)
# Assistant-style acknowledgements ("Sure, ...", "Of course.") that no interviewer opens with.
_ACK = re.compile(r"^(?:sure|of course|certainly|okay|ok|alright|absolutely)(?:[,.!]+\s*|\s+(?=\w))", re.IGNORECASE)
_IMPERATIVE = re.compile(
    r"^(?:so,?\s+|and\s+|now,?\s+|okay,?\s+|ok,?\s+|first,?\s+|to (?:begin|start)(?: with)?,?\s+)?(?:please\s+)?"
    r"(?:tell|walk|describe|give|talk|share|explain|take|"
    r"help|let's hear|run)\b",
    re.IGNORECASE,
)
# Things an interviewer never says to a candidate: instruction vocabulary, scores, AI talk.
LEAK = re.compile(
    r"\bas an ai\b|\blanguage model\b|\bai (?:model|assistant)\b|\binstructions?\b|\bprompts?\b|\brubric\b|"
    r"\bscor(?:e|es|ed|ing)\b|\bgrad(?:e|es|ed|ing)\b|\bprobe\b|\bprobing\b|\bdimensions?\b|\bprivate note\b|"
    r"\bnever say\b|\bdo not repeat\b|\bdon't repeat\b|\bone short\b|\bfollow-up question that\b|"
    r"\bweakest\b|\b\d\s*/\s*(?:5|10)\b|\bout of (?:5|five|10|ten)\b|\bthe candidate\b|\bpolicy\b|"
    r"\bstorytelling\b|\broot_cause\b|\bhonesty score\b|\bnow \w+(?: \w+)? speaks\b",
    re.IGNORECASE,
)


def sanitize(text: str) -> str:
    """Candidate text as the model sees it: printable, NFC, no control or bidi characters."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return re.sub(r"[ \t]+", " ", text).strip()


def thread_text(answers: Iterable[str]) -> str:
    """Everything the candidate said on one question, one answer a line: what the follow-up
    policy's text rules and the reader both read (policy.decide, interview/reading.py)."""
    return "\n".join(sanitize(a) for a in answers)


def _name_alternatives(names: Iterable[str]) -> list[str]:
    """Each interviewer's full name and first name, escaped for a regex alternation."""
    return [re.escape(part) for name in names for part in (name, name.split()[0])]


def _names(names: Iterable[str]) -> str:
    """The interviewers' names as one regex alternation ("" for none)."""
    return "|".join(_name_alternatives(names))


def _label_pattern(names: Iterable[str]) -> re.Pattern[str]:
    alternatives = "|".join([_GENERIC_LABELS, *_name_alternatives(names)])
    return re.compile(
        # "Morgan (CTO):" and "Morgan, CTO:" too: the model copies the intro it sees in the transcript.
        rf"^\s*[\*\"'“”_#>\-\s]*(?:{alternatives})(?:\s*\([^)]*\)|\s*,\s*[\w .'&-]{{1,30}}?)?\s*[\*_]*\s*[:\-–—]\s*[\*_]*\s*",
        re.IGNORECASE,
    )


def _echo_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """The note's own opening ("As Tomás, ...") echoed back before the line, or an interviewer's
    name used as if it were the candidate's ("Tomás, can you tell me..."): the line speaks to the
    candidate, never to a panellist (seen on the 1.5B model, issue 16)."""
    alternatives = _names(names)
    return re.compile(rf"^\s*(?:as\s+)?(?:{alternatives})\s*[,.!]\s+", re.IGNORECASE) if alternatives else None


def _vocative_patterns(names: Iterable[str]) -> list[re.Pattern[str]]:
    """An interviewer's name used to address someone inside a sentence ("Well, Sam, how's your
    day?", "Hi Tomás, how's it going?", "How are you doing so far, Sam?"): the line speaks to the
    candidate, whose name is never an interviewer's, so the name is dropped."""
    alternatives = _names(names)
    if not alternatives:
        return []
    return [
        re.compile(
            rf"^(?:(?:well|so|hi|hey|hello|okay|ok|alright|now)[,!]?\s+)?(?:{alternatives})\s*[,!]\s+", re.IGNORECASE
        ),
        re.compile(rf",\s*(?:{alternatives})(?=\s*[?.!]+[\"'”]*$)", re.IGNORECASE),
    ]


def _unaddressed(sentence: str, patterns: Sequence[re.Pattern[str]]) -> str:
    for pattern in patterns:
        sentence = pattern.sub("", sentence, count=1)
    # "Please share a bit about yourself, please." (the model's doubled courtesy)
    sentence = re.sub(r"^(please\b.*?),\s*please(?=[.?!]$)", r"\1", sentence, flags=re.IGNORECASE)
    return sentence[:1].upper() + sentence[1:]


def strip_labels(text: str, names: Iterable[str] = ()) -> str:
    names = list(names)
    patterns = [p for p in (_label_pattern(names), _echo_pattern(names)) if p is not None]
    previous = None
    while previous != text:
        previous = text
        for pattern in patterns:
            text = pattern.sub("", text, count=1)
    return text


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = text.strip("*_").strip()
    if len(text) >= 2 and text[0] in "\"'“‘" and text[-1] in "\"'”’":
        text = text[1:-1].strip()
    text = text.strip("\"“”").strip()
    return text[:1].upper() + text[1:]


def draft(raw: str, names: Iterable[str] = ()) -> str:
    """The readable part of a (possibly partial) reply: no reasoning, labels or candidate side."""
    return draft_and_cut(raw, names)[0]


def draft_and_cut(raw: str, names: Iterable[str] = ()) -> tuple[str, bool]:
    """`draft`, and whether the reply went on to the candidate's side (nothing after it is used)."""
    text = _THINK.sub("", raw)
    text = strip_labels(text.lstrip(), names)
    text = strip_labels(_META.sub("", text), names)
    text = strip_labels(_ACK.sub("", text), names)  # "Sure, Tomás. ..." too
    cut = _OTHER_SIDE.search(text) or _scripted_speaker(text, names)
    if cut:
        text = text[: cut.start()]
    return _tidy(text), cut is not None


def _scripted_speaker(text: str, names: Iterable[str]) -> re.Match[str] | None:
    """An interviewer's name label after the line has begun ("… Priya Raman: Thank you…"): the
    model went on to script someone else's turn; nothing from there on is this line."""
    alternatives = _names(names)
    return re.search(rf"(?<=\S)\s+(?:{alternatives})\s*:", text, re.IGNORECASE) if alternatives else None


def sentences(text: str) -> list[str]:
    """The interviewer's line in sentences: the one splitter, `interviewer.text`."""
    return sentence_texts(text)


def is_question_sentence(sentence: str) -> bool:
    return sentence.rstrip("\"')] ").endswith("?") or bool(_IMPERATIVE.match(sentence))


def question_part(text: str) -> str:
    """The question in an interviewer line, without greeting, intro or lead-in (for repeat checks):
    everything from its first question sentence on."""
    parts = sentences(text)
    index = next((i for i, s in enumerate(parts) if is_question_sentence(s)), None)
    return " ".join(parts[index:]) if index is not None else text


def is_praise(sentence: str) -> bool:
    return bool(_PRAISE.match(sentence.strip()))


def clean_reply(raw: str, mode: Mode, names: Iterable[str] = (), said: Sequence[str] = ()) -> str | None:
    """One usable interviewer line, or None when nothing usable is left.

    `said` are lines code says verbatim around the model's words (greeting, intro, an
    acknowledgement): a model that echoes one of them has it dropped, not doubled."""
    text = draft(raw, names)
    echoed = {normalize(s) for line in said for s in sentences(line)}
    vocatives = _vocative_patterns(names)
    parts = [_unaddressed(s, vocatives) for s in sentences(text) if normalize(s) not in echoed]
    if not parts:
        return None
    if mode == "question":
        index = next((i for i, s in enumerate(parts) if is_question_sentence(s)), None)
        if index is None:
            return None
        kept = parts[max(0, index - 1) : index + 1]  # at most one short lead-in, then the question
        if len(kept) == 2 and (len(kept[0].split()) > 20 or _CANDIDATE_VOICE.match(kept[0]) or is_praise(kept[0])):
            kept = kept[1:]
    elif mode == "answer":
        kept = parts[:3]
    else:  # closing: statements only
        kept = [s for s in parts if not s.rstrip().endswith("?")][:2]
    result = " ".join(kept).strip()
    if not result or len(result.split()) > MAX_WORDS:
        return None
    return result


def _shingles(text: str, size: int = 5) -> set[str]:
    words = normalize(text).split()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def leaks(text: str, private: Sequence[str] = ()) -> bool:
    """Whether a line reveals instructions, scores or its AI nature (or echoes private text)."""
    if LEAK.search(text):
        return True
    said = _shingles(text)
    return any(said & _shingles(p) for p in private if p)


@dataclass
class StreamFilter:
    """Turns raw streamed chunks into a safe live draft; tells the caller when to stop reading.

    Text is held back until the start is unambiguous (a label may still be forming), and nothing
    more is shown once the draft leaks or the first question is complete."""

    mode: Mode
    names: Sequence[str] = ()
    private: Sequence[str] = ()
    raw: str = ""
    shown: str = ""
    leaked: bool = False
    done: bool = False
    _pending: list[str] = field(default_factory=list)

    def feed(self, chunk: str) -> str:
        self.raw += chunk
        current, cut = draft_and_cut(self.raw, self.names)
        if self.mode == "question" and "?" in current:
            current = current[: current.index("?") + 1]
            self.done = True
        elif self.mode == "question" and _CANDIDATE_VOICE.match(current):
            # "I've had several disagreements..." (the 1.5B model telling the candidate's story,
            # often under a panellist's name): nothing is shown unless a question follows, and a
            # story that runs on without one is not read to the end (the engine draws again).
            self.done = cut or len(current.split()) > STORY_WORDS
            return ""
        elif cut:
            # The model went on to write the candidate's side: nothing after that is ever used,
            # so stop reading rather than wait for the token limit (seconds on the embedded model).
            self.done = True
        if len(self.raw) < 24 and not self.done and self._start_unclear():
            return ""  # a name label (or "Sure, here is...") may still be forming
        if self.leaked or leaks(current, self.private):
            self.leaked = True
            self.done = True
            return ""
        if not current.startswith(self.shown):
            return ""  # the cleaned text changed shape; the final turn will correct the draft
        new = current[len(self.shown) :]
        self.shown = current
        return new

    def _start_unclear(self) -> bool:
        """Whether the first word could still turn into something `draft` removes (a label, an
        acknowledgement, a preamble). Once it cannot, the words are shown at once: on the embedded
        model every held-back token costs the candidate ~0.1 s before the first words (issue 14)."""
        head = self.raw.lstrip(" \t\n*\"'“”_#>-")
        first = re.match(r"([^\W\d_]+)[\s,.!?;]", head)
        if first is None:
            return True  # the first word is not complete yet (or it starts with a tag, a digit)
        word = first.group(1).lower()
        starts = [*_GENERIC_LABELS.split("|"), *(w for n in self.names for w in n.lower().split()), *_HOLD_WORDS]
        return any(s.split()[0].startswith(word) or word.startswith(s.split()[0]) for s in starts)
