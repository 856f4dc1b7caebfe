"""Find text in a candidate's answer that talks to the grader instead of the interviewer.

A weak judge model is easily talked into top marks (appended instructions raised the 1.5B model's
score in 84 of 96 tries), so prompt hardening alone is not enough. This module finds, in code,
text that *addresses* a grader or model and *asks* it for something: to drop its instructions,
to give a score, to accept a forged result or system note, to reveal or obey something. Merely
talking about system prompts, LLM judges, rubrics, code blocks, JSON or chat logs is ordinary
work for many candidates and is never enough on its own; a match wholly inside a quotation ("we
tested prompts like 'ignore all previous instructions'") is a mention, not an attempt.

What happens to a flagged answer (evaluation/evaluator.py): nothing the candidate said is erased.
The judge reads the whole answer; flagged stretches, and stretches the broad patterns below mark
as instruction-like (`instruction_spans`), can never be cited as positive evidence, and the answer
is judged again without exactly those stretches (a sentence, a line, or a bracketed aside:
evaluation/spans.py), each dimension keeping the lower score, so appending or inserting them can
never raise a score. A flagged answer carries the `injection_attempt` flag and the
interviewer reacts; `scan(...).cleaned` is what the answer reads like without the attempt.
Measured in benchmarks/evaluator.md (bench_injection.py), but not blind: these rules were
rewritten (8000ede) minutes after benchmarks/data/injection_answers.jsonl was committed, in the
commit that added the held-out sets, and later rules were written after held-out rows had been
read. Issue 24 removed what had been written from rows (alternatives that matched only one or two
tune injection rows, in those rows' words; the persuasion alternatives that caught held-out rows;
the other-language rules of languages.py), so numbers reported before then measured rules that
are gone. Attempts in languages other than English are not flagged. No rule, keyword or example
here may be written from an evaluation row (dev, tune or held-out).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from interviewer.evaluation import persuasion
from interviewer.evaluation import spans as spans_
from interviewer.evaluation.spans import tidy
from interviewer.text import Span, sentences

__all__ = ["InjectionScan", "InjectionSpan", "find_spans", "instruction_spans", "scan", "tidy"]

_I = re.IGNORECASE
_SCORE_WORDS = r"(?:score|scores|scoring|grade|grades|mark|marks|rating|ratings|points?)"
_GRADER = r"(?:grader|evaluator|judge|assessor|reviewer|scorer|rater|model|ai|assistant|llm|gpt|chatgpt)"
_TOP = r"(?:5|five|10|ten|100|full|top|max(?:imum)?|perfect|highest)"
_DIM = r"(?:honesty|root[ _-]?cause|storytelling)"
_GRADER_OLD = r"(?:grader|evaluator|judge|assessor|reviewer|scorer|rater|model|ai|assistant|llm|gpt|chatgpt|system)"
_TOP_OLD = r"(?:5|five|10|ten|100|full|top|max(?:imum)?|perfect|highest|excellent|high)"
_DIRECTIVE = r"(?:score|grade|rate|assign|award|give|ignore|disregard|must|approve|pass|override|output|mark)"

# Each pattern is one kind of attempt to steer the grader. A rule fires only on text that
# *addresses* a grader or model and *asks* it for something (a score, to drop its instructions,
# to reveal or obey something): talking about system prompts, judges, rubrics, code blocks or
# chat logs, which is ordinary work for many candidates, is not enough (see the module doc).
RULES: dict[str, re.Pattern[str]] = {
    "override": re.compile(
        r"\b(?:ignore|disregard|forget|override|bypass)\b[^.\n]{0,40}?\b(?:previous|prior|above|earlier|all|any|"
        r"your|the|these|those|system|grading|scoring|reviewer)\b[^.\n]{0,30}?\b(?:instructions?|prompts?|rules?|"
        r"guidelines?|rubric|directions?|criteria|restrictions?|safety)\b",
        _I,
    ),
    "jailbreak": re.compile(
        r"\byou are now\b[^.\n]{0,30}\b(?:DAN|free|unrestricted|jailbroken|an? (?:AI|assistant|model|grader))\b"
        r"|(?-i:\bDAN\b)|\bpretend (?:you|that you) (?:have|are|can)\b[^.\n]{0,40}\b(?:no|without|unrestricted|filters?)\b"
        r"|\bno (?:restrictions|safety filters)\b|\bignore the safety\b"
        r"|\b(?:decode|rot13|translate)\b[^\n]{0,60}\b(?:follow|comply|obey|execute)\b|\b(?:then|and) comply\b"
        r"|\breveal (?:the |your )?(?:system prompt|hidden|secrets?|instructions)\b"
        r"|\b(?:print|show|list|repeat|output)\b[^.\n]{0,20}\b(?:hidden|secret|system|developer) (?:instructions|message|prompt)\b"
        r"|\bAPI key from your context\b|\b(?:call|use|invoke) the \w+ tool\b[^.\n]{0,20}\b(?:without|with query)\b",
        _I,
    ),
    "address_grader": re.compile(
        rf"\b(?:dear|hey|hi|hello|attention|note (?:to|for)|message (?:to|for)|instructions? (?:to|for)|memo to|p\.?s\.?)\b"
        rf"[^.\n]{{0,20}}\b{_GRADER}s?\b"
        rf"|\b(?:as|to) (?:the|an|any|this) (?:ai |automated )?(?:grader|evaluator|judge|scorer|rater|assessor|model)\b"
        rf"[^.\n]{{0,60}}\b(?:you|your|please|must|remember|keep in mind|bear in mind|note that)\b"
        rf"|\b(?:grader|evaluator|judge|scorer|rater|ai|model|assistant)\s*,\s*(?:please|you (?:must|should|will))\b",
        _I,
    ),
    "score_demand": re.compile(
        rf"\b(?:give|assign|award|rate|score|grade|mark|set)\b (?:me|this(?: answer| response)?|the candidate|it|my answer|"
        rf"every(?:thing| dimension)?|all)\b[^.\n]{{0,40}}?\b{_TOP}\b"
        rf"|\b{_TOP} ?(?:/|out of) ?(?:5|five|10|ten)\b[^.\n]{{0,30}}\b(?:please|pls|plz|on (?:all|every)|for (?:all|every|each)|across the board)\b"
        rf"|^\W*(?:5|10) ?/ ?(?:5|10)\W*(?:please|pls|plz)?\W*$"
        rf"|\b(?:{_TOP}|yes|pass)\b[^.\n]{{0,30}}\b(?:on|for|across|in) (?:all|every|each) (?:dimensions?|criteria|checks|categories)\b"
        rf"|\b(?:this|my) (?:answer|response) (?:deserves|merits|earns|should (?:get|receive|be given))\b"
        rf"|\bdeserves? (?:a |the )?{_TOP} (?:{_SCORE_WORDS})\b"
        rf"|\banswer (?:yes|\"yes\") (?:to|for|on) (?:all|every|each)\b"
        # A bare "Score 5." as the answer's last sentence.
        rf"|(?:^|(?<=[.!?] )|(?<=[.!?]\n))(?:score|grade|rate|rating|mark)(?: it| this| me)?:? (?:a )?[1-5](?: ?/ ?5)?\s*[.!]?\s*\Z",
        _I | re.MULTILINE,
    ),
    "score_request": re.compile(
        rf"\b(?:please|kindly|could you|can you|would you|you (?:must|should|will|need to)|ensure|make sure)\b[^.\n]{{0,80}}"
        rf"\b(?:{_SCORE_WORDS}|evaluation|assessment)\b[^.\n]{{0,40}}(?:\b[1-5] ?/ ?(?:5|10)\b|\bat least [1-5]\b|\b{_TOP}\b)"
        rf"|\b(?:do not|don't|never) (?:penali[sz]e|deduct|mark (?:me |this |it )?down|lower (?:the|my|this) {_SCORE_WORDS})\b",
        _I,
    ),
    "pressure": re.compile(
        rf"\bto (?:any|the|an) (?:ai|automated|llm)\b[^.\n]{{0,40}}\b(?:reading|evaluating|grading|scoring|reviewing)\b",
        _I,
    ),
    "fake_system": re.compile(
        rf"^[ \t]*[\[(<]?[ \t]*(?:system|developer|admin|grader|evaluator|assistant|ai)(?:[ \t]+(?:note|notice|message|prompt|override|instructions?))?"
        rf"[ \t]*[\])>]?[ \t]*:[^\n]{{0,300}}?\b{_DIRECTIVE}\b"
        rf"|(?:<\|im_start\|>[ \t]*(?:system|assistant)|\[/?(?:INST|SYS)\]|<</?SYS>>|</?system>)[^\n]{{0,200}}?\b(?:{_DIRECTIVE}|answer as)\b"
        rf"|<!--[^>]{{0,300}}?\b(?:important|instruction|ignore|score|grade|summari[sz]|end with|assistant|AI|model)\b",
        _I | re.MULTILINE,
    ),
    "json_forgery": re.compile(
        rf"[\"']{_DIM}[\"']\s*:\s*[\"']?\s*[1-5]\b|\b{_DIM}\s*[:=]\s*[\"']?[1-5]\s*(?:/ ?5)?\b"
        rf"|\b{_DIM}\s*[:=]?\s*[1-5] ?/ ?5\b"
        r"|\"(?:admits_limit|overclaims|explains_why|says_how_found|fixes_cause|prevents_recurrence|specific_situation|"
        r"own_actions|concrete_result|states_lesson|blames_others|evades|names_own_part)\"\s*:"
        # The judge's own reply shape: a check id with a list of sentence numbers.
        r"|\"(?:limit|own_part|overclaim|blame|dodge|cause|how_found|fix|prevent|event|did|result|lesson)\"\s*:\s*\[\s*\d"
        r"|\"(?:verdict|decision|recommendation|overall)\"\s*:\s*\"(?:strong )?(?:hire|pass|accept|exceptional|excellent)",
        _I,
    ),
    "end_marker": re.compile(
        r"\b(?:end|close) of (?:the )?(?:candidate(?:'s)? )?(?:answer|response|input)\b[^\n]{0,5}"
        r"|</?(?:answer|candidate_answer|response)>|\bANSWER-[0-9A-F]{6,}",
        _I,
    ),
    # Persuasion without an order: claimed authority over the grading, appeals for a score.
    "authority": persuasion.AUTHORITY,
    "appeal": persuasion.APPEAL,
}
# The old, broad deny-list: text that *may* belong to an injection (role tags, email headers,
# end markers, JSON fragments, talk of system prompts and graders). It never flags an answer: only
# once a RULES pattern has, lines and sentences it matches next to the flagged ones are withheld
# from the judge too, so a multi-line injection goes as a whole.
SUSPECT: dict[str, re.Pattern[str]] = {
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
        rf"\b(?:dear|hey|hi|attention|note (?:to|for)|message (?:to|for)|instructions? (?:to|for)|p\.?s\.?)\b[^.\n]{{0,20}}\b{_GRADER_OLD}s?\b"
        rf"|\b(?:as|to) (?:the|an|any|this) {_GRADER_OLD}\b|\bthe (?:grader|evaluator|judge|scorer|rater|rubric)\b"
        rf"|\b(?:the|this) candidate\b|\bthis (?:answer|response) (?:is|was|shows|demonstrates|deserves|should|must|meets|exceeds|clearly|has)\b"
        rf"|\b(?:grading|evaluation|scoring) (?:note|instruction|guideline)s?\b",
        _I,
    ),
    "score_demand": re.compile(
        rf"\b(?:give|assign|award|rate|score|grade|mark|set|output|return|put)\b[^.\n]{{0,40}}?\b(?:{_TOP_OLD}|{_DIM})\b[^.\n]{{0,20}}?(?:{_SCORE_WORDS}|/ ?5|out of)"
        rf"|\b{_TOP_OLD} ?(?:/|out of) ?(?:5|five|10|ten)\b|\b(?:all|every) (?:dimensions?|checks?|criteria)\b[^.\n]{{0,30}}\b(?:yes|5|five|max|top|pass)"
        rf"|\b(?:answer|reply|respond|mark|set) (?:yes|\"yes\") (?:to|for|on) (?:all|every|each)\b|\bdeserves? (?:a |the )?(?:{_TOP_OLD})\b"
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


# Rules whose words may legitimately appear inside a quotation ("we tested prompts like
# 'ignore all previous instructions'"): a match wholly inside quotes is a mention, not an attempt.
QUOTABLE = frozenset({"override", "jailbreak", "address_grader", "score_demand", "authority", "appeal"})
_QUOTED = re.compile(r"\"[^\"\n]{3,300}\"|“[^”\n]{3,300}”|`[^`\n]{3,300}`")


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
    removed: list[str] = field(default_factory=list)  # the stretches removed (sentences, lines, asides)
    dropped: list[Span] = field(default_factory=list)  # where they are in `original`

    @property
    def found(self) -> bool:
        return bool(self.spans)


def find_spans(text: str) -> list[InjectionSpan]:
    quoted = [m.span() for m in _QUOTED.finditer(text)]
    spans = [
        InjectionSpan(rule, m.start(), m.end(), m.group(0))
        for rule, pattern in RULES.items()
        for m in pattern.finditer(text)
        if m.end() > m.start()
        and not (rule in QUOTABLE and any(a <= m.start() and m.end() <= b for a, b in quoted))
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


def _suspect_spans(text: str) -> list[InjectionSpan]:
    return [InjectionSpan(rule, m.start(), m.end(), m.group(0))
            for rule, pattern in SUSPECT.items() for m in pattern.finditer(text) if m.end() > m.start()]


def scan(text: str) -> InjectionScan:
    """Detect injection spans and return the answer with every stretch holding one removed.

    A stretch is the sentence holding a hit, or, when the hit is a bracketed aside inside a
    sentence of the candidate's, only the brackets (evaluation/spans.py), so a half-removed
    instruction cannot still steer the judge and removing an appended or inserted attempt gives
    back the answer without it; the text that remains is untouched, so quotes stay verbatim.
    """
    spans = find_spans(text)
    if not spans:
        return InjectionScan(original=text, cleaned=text)
    units = sentences(text)
    all_groups = spans_.groups(text)
    drop: list[Span] = []
    flagged = [False] * len(units)
    for s in spans:
        hit: Span = (s.start, s.end)
        aside = spans_.aside(text, hit, all_groups)
        if aside is not None:
            drop.append(aside)
            continue
        hit = spans_.enclosing(hit, all_groups) or hit  # a bracketed attempt goes as a whole
        for n, (start, end) in enumerate(units):
            flagged[n] = flagged[n] or (hit[0] < end and hit[1] > start)
    # A sentence next to a removed one goes too if it reads like part of the attempt; decided
    # once per sentence, not on every pass of the growth loop below.
    joinable = [
        bool(_ACCOMPLICE.search(text[start:end]) or any(p.search(text[start:end]) for p in SUSPECT.values()))
        for start, end in units
    ]
    # Grow each removal over neighbouring joinable sentences until nothing changes.
    changed = True
    while changed:
        changed = False
        for n in range(len(units)):
            if flagged[n] or not joinable[n]:
                continue
            if (n > 0 and flagged[n - 1]) or (n + 1 < len(units) and flagged[n + 1]):
                flagged[n] = changed = True
    drop += [u for u, f in zip(units, flagged) if f]
    # Spans that fall outside every sentence (pure punctuation such as "}" or "-->") go as well,
    # when they touch a removed stretch.
    for s in spans + _suspect_spans(text):
        if not any(a <= s.start < b for a, b in drop) and any(abs(s.start - b) <= 2 or abs(a - s.end) <= 2 for a, b in drop):
            drop.append((s.start, s.end))
    drop = spans_.merge(drop)
    return InjectionScan(original=text, cleaned=spans_.cut(text, drop), spans=spans,
                         removed=[text[a:b] for a, b in drop], dropped=drop)


# The broad patterns that read like talking to a grader (not mere talk of prompts, code or JSON).
# Sentences they match, and every flagged sentence, can never be positive evidence, and the
# answer without them caps the answer's score (evaluation/evidence.py, evaluator.py).
_INSTRUCTION_LIKE = ("override", "new_instructions", "address_grader", "score_demand", "role_tag")


# Bare mentions the broad patterns match that are ordinary talk for candidates who build LLM
# systems ("we shortened the system prompt", "the judge model disagreed"): not instruction-like.
_MENTIONS = frozenset({"system prompt", "the judge", "the grader", "the rubric", "the rater", "the candidate"})


def instruction_spans(text: str, found: InjectionScan | None = None) -> list[Span]:
    """Spans of `text` that read like instructions to a grader: every stretch the detector would
    withhold (`scan`), and the broad patterns above outside quotation marks (a quoted attack
    string is a mention), except bare mentions. Pass `found`, the scan of this same text, when
    the caller already has it, so the detector runs once per text."""
    if found is None or found.original != text:
        found = scan(text)
    quoted = [m.span() for m in _QUOTED.finditer(text)]
    all_groups = spans_.groups(text)
    broad = [
        spans_.covering(text, m.span(), all_groups)
        for rule in _INSTRUCTION_LIKE
        for m in SUSPECT[rule].finditer(text)
        if m.end() > m.start()
        and m.group(0).lower() not in _MENTIONS
        and not any(a <= m.start() and m.end() <= b for a, b in quoted)
    ]
    return spans_.merge([*found.dropped, *broad])
