"""Rewrites of weak answers as Situation, Action, Result, Lesson, in the candidate's own material.

Two producers, one rule. The extractive rewrite (always available, deterministic) sorts the
candidate's own sentences into the four parts and puts a bracketed placeholder where a part is
missing. The model rewrite (optional) lets a model phrase it, and is then checked in code: if it
contains a number or a proper noun the candidate never said, it is dropped and the extractive
version is used, with a note saying why. A coaching report that invents a "40% faster" teaches
the candidate to lie in an interview; that is worse than a placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from langchain_core.language_models import BaseChatModel

from interviewer.evaluation.injection import scan
from interviewer.evaluation.signals import LESSON
from interviewer.prompt_templates import load_prompt
from interviewer.text import sentence_texts

if TYPE_CHECKING:
    from interviewer.llm.provider import LLMRuntime

PARTS = ("situation", "action", "result", "lesson")

PLACEHOLDERS = {
    "situation": "[the situation: where you were and what was at stake]",
    "action": '[what you did yourself, step by step, with "I"]',
    "result": "[the result: the number, the time or money saved, who noticed]",
    "lesson": "[what you learned, and what you now do differently]",
}
NUMBER_PLACEHOLDER = "[the number]"
OWN_PART_PLACEHOLDER = '[your own part, with "I"]'

# -- sentence classification (cue words; transparent on purpose) ---------------------------------
# A lesson is what the evaluator counts as one (evaluation.signals), so the rewrite never finds a
# lesson the score says is missing, or the other way round.
_LESSON = LESSON
# A number alone ("%", "$") is no result: "checkout failed for 4% of users" sets the scene.
_RESULT = re.compile(
    r"\b(result(?:ed|s)?|reduc\w*|increas\w*|sav(?:ed|ing)|cut|dropp?ed|fell|went (?:down|up)|"
    r"improv\w*|faster|fixed|resolved|outcome|in the end|finally|no longer|stopped|shipped|"
    r"launched|revenue|impact|success|better|worse|fewer|lower|higher|rose|grew|doubled|halved|"
    r"went from)\b|\bfrom\s+\S*\d[^.]{0,40}?\bto\s+\S*\d",
    re.IGNORECASE,
)
# "I/we + past-tense verb", except verbs of state ("we disagreed", "I wanted"): those set a scene.
_STATES = r"(?!(?:disagreed|wanted|needed|liked|hoped|seemed|worried|believed|assumed|expected|used to)\b)"
_ACTION = re.compile(
    rf"\b(?:i|we)\s+(?:\w+ly\s+)?{_STATES}(?:\w+ed|built|wrote|made|found|ran|took|set|put|led|brought|"
    r"rewrote|dug|read|went|began|chose|split|sat|spoke|got|did|caught|drew|kept|held|gave|"
    r"sent|shut|began|proposed|paired)\b",
    re.IGNORECASE,
)
# Scene-setting cues: the opening of a story, even when it also mentions what "we" did.
_SCENE = re.compile(
    r"\b(once|when|last (?:week|month|year|quarter|spring|summer|autumn|fall|winter|january|february|"
    r"march|april|may|june|july|august|september|october|november|december)|during|there was|we had|"
    r"at my (?:last|previous)|in my (?:last|previous)|i was working|i worked on|i'm on|i am on)\b",
    re.IGNORECASE,
)
_I_ACTION = re.compile(r"\bi\s+(?:\w+ly\s+)?\w+", re.IGNORECASE)
_DIGIT = re.compile(r"\d")

_LIMITS = {"situation": 2, "action": 3, "result": 2, "lesson": 2}


def split_sentences(text: str) -> list[str]:
    """The answer in sentences: the one splitter, `interviewer.text`."""
    return sentence_texts(text)


def classify(sentence: str, scene_set: bool = True) -> str:
    """Which SARL part a sentence most likely belongs to: lesson > result with a number >
    (while no situation is set yet) a scene-setting sentence > action > result > situation."""
    if _LESSON.search(sentence):
        return "lesson"
    if _RESULT.search(sentence) and _DIGIT.search(sentence):
        return "result"
    if not scene_set and _SCENE.search(sentence):
        return "situation"
    if _ACTION.search(sentence):
        return "action"
    if _RESULT.search(sentence):
        return "result"
    return "situation"


@dataclass
class SARL:
    situation: str
    action: str
    result: str
    lesson: str
    placeholders: list[str] = field(default_factory=list)

    def parts(self) -> dict[str, str]:
        return {p: getattr(self, p) for p in PARTS}

    def text(self) -> str:
        return "\n".join(f"{p.capitalize()}: {v}" for p, v in self.parts().items())


def without_injection(text: str) -> str:
    """The answer minus sentences aimed at the grader: they are not part of the candidate's story."""
    return scan(text).cleaned


def extractive_rewrite(answers: Iterable[str]) -> SARL:
    """Sort the candidate's own sentences into SARL; placeholders where something is missing.

    `answers` are the answers of one question thread (the main answer and its follow-ups), so
    a fact given only when probed still lands in the rewrite.
    """
    buckets: dict[str, list[str]] = {p: [] for p in PARTS}
    seen_action = False
    for text in answers:
        for sentence in split_sentences(without_injection(text)):
            part = classify(sentence, scene_set=bool(buckets["situation"]))
            # Context after the first action reads as part of what was done, not the setting.
            if part == "situation" and seen_action:
                part = "action"
            seen_action |= part == "action"
            buckets[part].append(sentence)
    # Results with a number are worth more than results without one, and "I did" more than
    # "we did" or context (sorts are stable: the story order stays within each group).
    buckets["result"].sort(key=lambda s: not _DIGIT.search(s))
    buckets["action"].sort(key=lambda s: not (_ACTION.search(s) and _I_ACTION.search(s)))
    placeholders: list[str] = []
    out: dict[str, str] = {}
    for part in PARTS:
        chosen = buckets[part][: _LIMITS[part]]
        if not chosen:
            out[part] = PLACEHOLDERS[part]
            placeholders.append(PLACEHOLDERS[part])
            continue
        value = " ".join(chosen)
        if part == "result" and not _DIGIT.search(value):
            value = f"{value} {NUMBER_PLACEHOLDER}"
            placeholders.append(NUMBER_PLACEHOLDER)
        if part == "action" and not _I_ACTION.search(value):
            value = f"{value} {OWN_PART_PLACEHOLDER}"
            placeholders.append(OWN_PART_PLACEHOLDER)
        out[part] = value
    return SARL(**out, placeholders=placeholders)


# -- verification: no invented numbers or names ---------------------------------------------------
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "fifteen": "15",
    "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "hundred": "100",
    "thousand": "1000", "million": "1000000", "billion": "1000000000", "dozen": "12",
    "half": "0.5", "twice": "2", "double": "2", "triple": "3",
}  # fmt: skip
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’.+#-]*[A-Za-z0-9+#]|[A-Za-z]")
_PLACEHOLDER = re.compile(r"\[[^\]]*\]")
# Capitalised words that are never facts: the pronoun, the section labels a model may echo.
_ALWAYS_OK = {"i", "i'm", "i’m", "i'd", "i've", "i'll", "situation", "action", "result", "lesson"}


def _norm_number(token: str) -> str:
    value = token.replace(",", "")
    return value.rstrip("0").rstrip(".") if "." in value else value


def _words(text: str) -> set[str]:
    return {w.lower().strip(".'’") for w in _WORD.findall(text)}


def _numbers(text: str) -> set[str]:
    found = {_norm_number(n) for n in _NUMBER.findall(text)}
    found |= {_NUMBER_WORDS[w] for w in _words(text) if w in _NUMBER_WORDS}
    return found


def _sentence_starts(text: str) -> set[int]:
    starts = {0}
    for match in re.finditer(r"[.!?:;\n]\s*[\"'“(-]*\s*|^\s*[-*•]\s*", text, re.MULTILINE):
        starts.add(match.end())
    return starts


def _is_name_like(word: str, at_start: bool) -> bool:
    core = word.rstrip(".'’")
    if core.lower() in _ALWAYS_OK or len(core) < 2 and not core.isupper():
        return False
    odd_case = any(c.isupper() for c in core[1:]) or any(c.isdigit() for c in core)
    if odd_case:  # PostgreSQL, AWS, S3, iOS: a name wherever it stands
        return True
    return core[0].isupper() and not at_start


def introduced_facts(rewrite: str, source: str) -> list[str]:
    """Numbers and proper nouns in `rewrite` that never occur in `source` (the candidate's words).

    Placeholders in brackets are ignored. A capitalised word at the start of a sentence is only
    treated as a name when its shape says so (ALLCAPS, CamelCase, digits), since "Eventually"
    is not a fact; anywhere else a capitalised word must appear in the candidate's words.
    """
    text = _PLACEHOLDER.sub(" ", rewrite)
    source_numbers = _numbers(source)
    source_words = _words(source)
    problems: list[str] = []
    for token in _NUMBER.findall(text):
        if _norm_number(token) not in source_numbers:
            problems.append(token)
    for raw in _WORD.findall(text):  # in text order, so the note names them as written
        word = raw.lower().strip(".'’")
        if word in _NUMBER_WORDS and _NUMBER_WORDS[word] not in source_numbers:
            problems.append(word)
    starts = _sentence_starts(text)
    for match in _WORD.finditer(text):
        word = match.group(0)
        if word[0].isdigit() or not _is_name_like(word, match.start() in starts):
            continue
        if word.lower().strip(".'’") not in source_words:
            problems.append(word)
    return list(dict.fromkeys(problems))


# -- the model rewrite ------------------------------------------------------------------------------
_LABEL = re.compile(r"^\s*[*#\-\s]*(situation|action|result|lesson)\s*\**\s*[:\-–]\s*(.*)$", re.I)
_MAX_PART = 700


def parse_sarl(text: str) -> SARL | None:
    """Read 'Situation: ... / Action: ... / Result: ... / Lesson: ...'; None if a part is missing."""
    parts: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        match = _LABEL.match(line)
        if match:
            current = match.group(1).lower()
            parts.setdefault(current, []).append(match.group(2).strip())
        elif current and line.strip():
            parts[current].append(line.strip())
    values = {p: " ".join(x for x in parts.get(p, []) if x).strip().strip("*").strip() for p in PARTS}
    if not all(values.values()) or any(len(v) > _MAX_PART for v in values.values()):
        return None
    placeholders = [m.group(0) for v in values.values() for m in _PLACEHOLDER.finditer(v)]
    return SARL(**values, placeholders=placeholders)


@dataclass
class RewriteOutcome:
    sarl: SARL
    source: str  # "model" or "extractive"
    note: str = ""


async def rewrite_answer(
    question: str,
    thread: list[str],
    all_answers: str,
    rewriter: BaseChatModel | None = None,
) -> RewriteOutcome:
    """A SARL rewrite of one question thread; the model's only if it passes the fact check."""
    fallback = extractive_rewrite(thread)
    if rewriter is None:
        return RewriteOutcome(fallback, "extractive")
    material = "\n".join(without_injection(t) for t in thread)
    prompt = load_prompt("report_rewrite").render(question=question, answer=material)
    try:
        message = await rewriter.ainvoke(prompt)
    except Exception as exc:  # noqa: BLE001 - a failed model call must not cost the report
        return RewriteOutcome(fallback, "extractive", f"model rewrite unavailable ({type(exc).__name__})")
    content = message.content if isinstance(message.content, str) else str(message.content)
    sarl = parse_sarl(content)
    if sarl is None:
        return RewriteOutcome(fallback, "extractive", "model rewrite did not have all four parts")
    invented = introduced_facts(sarl.text(), all_answers)
    if invented:
        shown = ", ".join(f'"{w}"' for w in invented[:5])
        return RewriteOutcome(
            fallback, "extractive", f"model rewrite dropped: it added {shown}, which you never said"
        )
    # A lesson is a fact about the candidate too: a model happily writes one they never stated.
    if not _LESSON.search(material) and "[" not in sarl.lesson:
        sarl.lesson = PLACEHOLDERS["lesson"]
        sarl.placeholders.append(sarl.lesson)
        return RewriteOutcome(sarl, "model", "you stated no lesson, so the model's was replaced by a placeholder")
    return RewriteOutcome(sarl, "model")


REWRITE_MAX_TOKENS = 320  # four short parts; enough on the embedded model, keeps it ~10 s


def rewriter_model(runtime: "LLMRuntime") -> BaseChatModel:
    """The model the app and the CLI use for rewrites: the evaluator's, deterministic, short."""
    from interviewer.llm.provider import Role

    return runtime.chat_model(Role.EVALUATOR, temperature=0.0, max_tokens=REWRITE_MAX_TOKENS)
