"""Find text in a candidate's answer that talks to the grader instead of the interviewer.

A weak judge model is easily talked into top marks (appended instructions raised the 1.5B model's
score in 84 of 96 tries), so prompt hardening alone is not enough. This module finds injection
spans in code — instructions to the grader or model, fake system/assistant notes, role tags,
"ignore previous instructions", score demands, JSON fragments that try to close or forge the
output — and removes the sentences (or lines) that contain them. The evaluator scores the cleaned
text and flags `injection_attempt`, so appending an injection to an answer can never raise its
score: the cleaned text is the same answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from interviewer.evaluation.signals import Span, sentences

_I = re.IGNORECASE
_SCORE_WORDS = r"(?:score|scores|scoring|grade|grades|mark|marks|rating|ratings|points?)"
_GRADER = r"(?:grader|evaluator|judge|assessor|reviewer|scorer|rater|model|ai|assistant|llm|gpt|chatgpt|system)"
_TOP = r"(?:5|five|10|ten|100|full|top|max(?:imum)?|perfect|highest|excellent|high)"
_DIM = r"(?:honesty|root[ _-]?cause|storytelling)"

# Each pattern is one kind of injection; names appear in the scan result for transparency.
RULES: dict[str, re.Pattern[str]] = {
    "override": re.compile(
        r"\b(?:ignore|disregard|forget|override|bypass|skip)\b[^.\n]{0,40}?\b(?:previous|prior|above|earlier|all|any|"
        r"your|the|these|those|other|system|reviewer|grading|scoring)\b[^.\n]{0,30}?\b(?:instructions?|prompts?|rules?|"
        r"guidelines?|rubric|directions?|criteria|messages?|context|restrictions?|safety)",
        _I,
    ),
    "new_instructions": re.compile(
        r"\b(?:new|updated|real|actual|hidden|secret|developer|system) (?:instructions?|prompt|message|rules?)\b"
        r"|\bfollow (?:these|my|the following) instructions\b|\bfrom now on,? (?:you|ignore|the model)\b|\byou are now\b"
        r"|\bact as (?:if|though|an? (?:AI|assistant|grader|evaluator|judge|unrestricted|different))\b"
        r"|\bpretend (?:you|to be|that you)\b|\bjailbreak|(?-i:\bDAN\b)|\bno (?:restrictions|safety filters|rules)\b"
        r"|\bsafety (?:guidelines|filters|stuff|rules)\b|\b(?:then|and) comply\b|\bcomply with (?:it|this|that|the following|these|them)\b"
        r"|\bdecode and follow\b"
        r"|\breveal (?:the |your )?(?:system prompt|secrets?|instructions)\b|\bsystem prompt\b"
        r"|\bAPI key\b[^.\n]{0,40}\bcontext\b|\byour context window\b|\bwithout approval\b"
        r"|(?:^|(?<=[.!?] )|(?<=[.!?]\n))(?:call|use|invoke|run) the \w+ tool\b|\btool with query\b",
        _I | re.MULTILINE,
    ),
    "address_grader": re.compile(
        rf"\b(?:dear|hey|hi|attention|note (?:to|for)|message (?:to|for)|instructions? (?:to|for)|p\.?s\.?)\b[^.\n]{{0,20}}\b{_GRADER}s?\b"
        rf"|\b(?:as|to) (?:the|an|any|this) {_GRADER}\b|\bthe (?:grader|evaluator|judge|scorer|rater|rubric)\b"
        rf"|\b(?:the|this) candidate\b|\bthis (?:answer|response) (?:is|was|shows|demonstrates|deserves|should|must|meets|exceeds|clearly|has)\b"
        rf"|\b(?:grading|evaluation|scoring) (?:note|instruction|guideline)s?\b",
        _I,
    ),
    "score_demand": re.compile(
        rf"\b(?:give|assign|award|rate|score|grade|mark|set|output|return|put)\b[^.\n]{{0,40}}?\b(?:{_TOP}|{_DIM})\b[^.\n]{{0,20}}?(?:{_SCORE_WORDS}|/ ?5|out of)"
        rf"|\b{_TOP} ?(?:/|out of) ?(?:5|five|10|ten)\b|\b(?:all|every) (?:dimensions?|checks?|criteria)\b[^.\n]{{0,30}}\b(?:yes|5|five|max|top|pass)"
        rf"|\b(?:answer|reply|respond|mark|set) (?:yes|\"yes\") (?:to|for|on) (?:all|every|each)\b|\bdeserves? (?:a |the )?(?:{_TOP})\b"
        rf"|\b{_DIM}\s*[:=]\s*\"?[1-5]\b|\b{_SCORE_WORDS}\s*[:=]\s*\"?\d"
        rf"|(?:^|(?<=[.!?] )|(?<=[.!?]\n))(?:score|grade|rate|rating|mark)(?: it| this| me)?:? (?:a )?[1-5](?: ?/ ?5)?\s*[.!]?\s*$",
        _I,
    ),
    "role_tag": re.compile(
        r"<\|?/?\s*(?:im_start|im_end|system|assistant|user|developer|tool|endoftext|s|inst)\s*\|?>"
        r"|\[/?(?:INST|SYS|SYSTEM|ASSISTANT|USER)\]|<</?SYS>>|^\s*#{1,6}\s*(?:system|assistant|instruction|response)\b"
        r"|^\s*(?:system|assistant|developer|user|ai|grader|evaluator)\s*(?:note|message|prompt)?\s*:"
        r"|\((?:system|assistant)\s*(?:note|message)?\s*:|\(note (?:to|for) (?:the )?\w+|<!--|-->|</?(?:answer|candidate_answer|data|instructions?|rubric)>",
        _I | re.MULTILINE,
    ),
    "json_forgery": re.compile(
        r"[{}\[\]]\s*\"?(?:honesty|root_cause|storytelling|flags|evidence|rationale|status|score|yes|no)\b"
        r"|\"\s*:\s*\"?(?:yes|no)\b|\"(?:admits_limit|overclaims|explains_why|says_how_found|fixes_cause|"
        r"prevents_recurrence|specific_situation|own_actions|concrete_result|states_lesson|blames_others|evades|"
        r"names_own_part)\"|^\s*[{}]\s*$|\"\s*}\s*$|```",
        _I | re.MULTILINE,
    ),
    "email_header": re.compile(
        r"^\s*(?:from|to|subject|cc|bcc)\s*:\s*\S+|\b(?:from|to|cc)\s*:\s*[\w.+-]+@[\w-]+\.[\w.]+", _I | re.MULTILINE
    ),
    "end_marker": re.compile(
        r"(?:<<<|>>>|={3,}|-{3,}|\*{3,})\s*(?:end|answer|stop|begin|start)?"
        r"|\b(?:end|begin|start|close) (?:of )?(?:the )?(?:answer|input|text|data|candidate(?:'s)? (?:answer|text)|transcript)\b",
        _I,
    ),
}


@dataclass(frozen=True)
class InjectionSpan:
    rule: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class InjectionScan:
    original: str
    cleaned: str
    spans: list[InjectionSpan] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # the whole sentences/lines removed

    @property
    def found(self) -> bool:
        return bool(self.spans)


def find_spans(text: str) -> list[InjectionSpan]:
    spans = [
        InjectionSpan(rule, m.start(), m.end(), m.group(0))
        for rule, pattern in RULES.items()
        for m in pattern.finditer(text)
        if m.end() > m.start()
    ]
    return sorted(spans, key=lambda s: (s.start, s.end))


# Words that set up or continue an injection ("I am a security researcher.", "Please ...").
# Only used to extend a removal to the sentences right next to a detected one, never on their own.
_ACCOMPLICE = re.compile(
    r"\b(?:you|your|please|verbatim|password|credentials|important|urgent|btw)\b"
    r"|\bI am (?:a|an|the) (?:security|researcher|admin|administrator|developer|tester|auditor|professor)"
    r"|\bfor (?:my|a) (?:paper|research|study|thesis)\b|^\W*$",
    _I,
)


def _units(text: str) -> list[Span]:
    """Sentences, never crossing a line: injections are often appended as their own line."""
    return sentences(text)


def scan(text: str) -> InjectionScan:
    """Detect injection spans and return the answer with every sentence holding one removed.

    Removal works on whole sentences so a half-removed instruction cannot still steer the judge;
    the text that remains is untouched (not rephrased), so quotes stay verbatim.
    """
    spans = find_spans(text)
    if not spans:
        return InjectionScan(original=text, cleaned=text)
    units = _units(text)
    flagged = [any(s.start < end and s.end > start for s in spans) for start, end in units]
    # Grow each removal over neighbouring accomplice sentences until nothing changes.
    changed = True
    while changed:
        changed = False
        for n, (start, end) in enumerate(units):
            if flagged[n] or not _ACCOMPLICE.search(text[start:end]):
                continue
            if (n > 0 and flagged[n - 1]) or (n + 1 < len(units) and flagged[n + 1]):
                flagged[n] = changed = True
    drop: list[Span] = [u for u, f in zip(units, flagged) if f]
    # Spans that fall outside every sentence (pure punctuation such as "}" or "-->") go as well.
    for s in spans:
        if not any(a <= s.start < b for a, b in drop):
            drop.append((s.start, s.end))
    drop.sort()
    kept: list[str] = []
    cursor = 0
    for start, end in drop:
        if start >= cursor:
            kept.append(text[cursor:start])
            cursor = end
        else:
            cursor = max(cursor, end)
    kept.append(text[cursor:])
    cleaned = tidy("".join(kept))
    removed = [text[a:b] for a, b in drop]
    return InjectionScan(original=text, cleaned=cleaned, spans=spans, removed=removed)


def tidy(text: str) -> str:
    """Collapse the whitespace left behind by removals so `answer + injection` cleans to `answer`."""
    lines = [re.sub(r"[ \t]{2,}", " ", line).strip() for line in text.splitlines()]
    out = "\n".join(lines)
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out.strip()
