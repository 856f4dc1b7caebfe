"""Facts other than counts, read from one sentence: how long (tenure, career, a project), when
something started (joined, a career, a title), titles, who built or led what, employers and
technologies. Each reader returns the pieces a Claim is made of; `extract` adds the context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from interviewer.claims import Amount, Owner
from interviewer.ledger.timespan import DATE, DURATION, parse_date, parse_duration
from interviewer.ledger.vocab import ARTICLES, singular

# Names start with a capital even in patterns compiled case-insensitively.
_EMP = r"(?P<emp>(?-i:[A-Z])[\w&'-]+|the company|this company)"
# "with this company" is tenure too ("been with this company for a decade"), not a field of work.
_EMP2 = r"(?P<emp2>(?-i:[A-Z])[\w&'-]+|the company|this company)"
_FIELD = r"(?P<f>[A-Za-z][\w/-]*(?:\s+(?!(?-i:I)\b|for\b|at\b|and\b|since\b|in\b|now\b|as\b|after\b|when\b)[A-Za-z][\w/-]*){0,2})"
_TITLE = r"(?P<t>[A-Za-z][\w-]*(?:\s+(?!at\b|on\b|in\b|for\b|with\b|and\b|who\b|since\b|hoping\b|but\b|of\b)[A-Za-z][\w-]*){0,3})"
_D = rf"(?P<d>{DURATION})"
_DATE = rf"(?P<date>{DATE})"

TENURE = [re.compile(p, re.I) for p in (
    rf"\b(?:been|worked|stayed)\s+(?:here|at {_EMP}|with {_EMP2})\s+(?:for\s+)?{_D}",
    rf"{_D}\s+(?:here|at {_EMP}|with {_EMP2})",
)]
CAREER = [re.compile(p, re.I) for p in (
    rf"{_D}\s+of\s+(?:[\w-]+\s+)?experience(?:\s+(?:in|as|with)\s+(?:an?\s+|the\s+)?{_FIELD})?",
    rf"(?<![\d$€£%] )(?!a year|a month|a week){_D}\s+(?:in|as)\s+(?:an?\s+|the\s+)?{_FIELD}",
    rf"\bbeen\s+(?:an?\s+|in\s+)?{_FIELD}\s+for\s+{_D}",
)]
SPAN = re.compile(rf"\b(?:took|lasted|spent|down for|ran for)\s+(?:us\s+|me\s+|them\s+)?{_D}", re.I)
SINCE = re.compile(rf"\bsince\s+{_DATE}", re.I)
STARTS: list[tuple[str, re.Pattern[str]]] = [
    ("joined", re.compile(rf"\b(?:joined|started at|got to|arrived at|was hired (?:at|by)|started working at)\s*(?:{_EMP})?[^.;]{{0,30}}?\bin\s+{_DATE}", re.I)),
    ("joined", re.compile(rf"\bfirst day at {_EMP} was (?:in\s+)?{_DATE}", re.I)),
    ("joined", re.compile(rf"\b(?:in\s+)?{_DATE},?\s+(?:was\s+)?my first year (?:at|with) {_EMP}", re.I)),
    ("career", re.compile(rf"\bstarted my career (?:[^.;]{{0,20}}?)in\s+{_DATE}", re.I)),
    ("career", re.compile(rf"\b(?:started|began|got)\s+(?:out\s+)?in(?:to)?\s+{_FIELD}\s+in\s+{_DATE}", re.I)),
    ("career", re.compile(rf"\bmoved into\s+{_FIELD}\s+in\s+{_DATE}", re.I)),
    ("career", re.compile(rf"\bbecame an?\s+{_FIELD}\s+in\s+{_DATE}", re.I)),
    ("career", re.compile(rf"\bmy first\s+{_FIELD}\s+job was in\s+{_DATE}", re.I)),
    ("title", re.compile(rf"\bpromoted to (?:an?\s+|the\s+)?{_TITLE}\s+in\s+{_DATE}", re.I)),
]
ROLES: list[tuple[str, re.Pattern[str]]] = [
    ("present", re.compile(rf"\b(?:I'm|I am|I’m)\s+(?:currently\s+|now\s+|still\s+)?(?:an?|the)\s+{_TITLE}")),
    ("present", re.compile(rf"\bmy (?:current )?(?:title|role) is (?:an?\s+|the\s+)?{_TITLE}", re.I)),
    ("past", re.compile(rf"\bI was (?:an?|the) {_TITLE}")),
    ("start", re.compile(rf"\b(?:started|hired|joined|came in) as (?:an?|the) {_TITLE}", re.I)),
]
LEVELS = {"intern": 0, "junior": 1, "associate": 1, "entry-level": 1, "graduate": 1, "mid-level": 2, "mid": 2,
          "intermediate": 2, "senior": 3, "staff": 4, "lead": 4, "principal": 5, "distinguished": 6}
BUILD = r"built|wrote|designed|created|developed|implemented|architected|set up|coded|engineered"
LEADS = r"led|ran|owned|drove"
_VERB = rf"(?P<verb>{BUILD}|{LEADS})"
_THING = (r"(?:(?:the|our|a|an|my|that|this|whole|entire)\s+)*(?P<thing>(?:[\w'-]+\s+){0,4}?[\w'-]+?)"
          r"(?=\s+(?:myself|from|on|with|over|before|in|for|and|while|when|at|that|which|alone|single-handedly|not)\b|\s*[.,;!?]|\s*$)")
I_DID = re.compile(rf"\bI\s+(?:personally\s+|single-handedly\s+|myself\s+|alone\s+|originally\s+)?{_VERB}\s+{_THING}")
I_DID_NOT = re.compile(rf"\bI\s+(?:didn't|did not|never)\s+(?P<verb>build|write|design|create|develop|implement|architect|set up|code|lead|run|own|drive)\s+{_THING}", re.I)
BY_OTHER = re.compile(rf"\b(?:[Tt]he|[Oo]ur|[Tt]hat|[Mm]y)\s+(?P<thing>(?:[\w'-]+\s+){{0,4}}?[\w'-]+)\s+(?:was|were)\s+(?:already\s+|originally\s+|actually\s+)?"
                      rf"(?P<verb>{BUILD}|{LEADS})\s+by\s+(?P<agent>[^,.;]+)")
OTHER_DID = re.compile(rf"(?P<agent>\b(?:[Aa]nother team|[Ss]omeone else|[Aa] contractor|[Aa]n agency|[Tt]he [\w-]+ team|[Aa]nother engineer"
                       rf"|(?:[Mm]y )?(?:colleague|manager|teammate|lead) [A-Z]\w+)|(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+)\s+{_VERB}\s+{_THING}")
NOT_NAMES = {"The", "Then", "Later", "We", "Our", "It", "That", "This", "My", "Eventually", "Someone", "Another"}
VERB_GROUP = {**{v: "build" for v in BUILD.split("|")}, **{v: "lead" for v in LEADS.split("|")},
              **{v: "build" for v in ("build", "write", "design", "create", "develop", "implement", "architect", "code")},
              **{v: "lead" for v in ("lead", "run", "own", "drive")}}
PRONOUNS = {"it", "that", "this", "them"}


@dataclass(frozen=True)
class Span:
    """A duration or a start date read from a sentence."""

    subject: str  # "tenure", "career", "career:<field>", "title:<title>", "joined", "span"
    amount: Amount | None = None  # months, for durations
    year: int | None = None
    month: int | None = None
    employer: str | None = None
    ongoing: bool = False


def _field(raw: str | None) -> str:
    if not raw:
        return ""
    words = [w.lower() for w in raw.split() if w.lower() not in ARTICLES]
    return " ".join(words)


def _emp(m: re.Match[str]) -> str | None:
    names = [g for g in ("emp", "emp2") if g in m.re.groupindex and m.group(g)]
    if not names:
        return "current" if re.search(r"\bhere\b", m.group(0), re.I) else None
    name = m.group(names[0])
    return "current" if name.lower() in ("the company", "this company") else name.lower()


def spans(sentence: str) -> list[Span]:
    """Durations (in months) and start dates, tagged with what they are the duration or start of."""
    found: list[Span] = []
    taken: list[tuple[int, int]] = []
    present = re.search(r"\b(?:I've|I have|I’ve|have|has)\b", sentence) is not None
    for pattern in TENURE:
        for m in pattern.finditer(sentence):
            amount = parse_duration(m.group("d"))
            if amount and not _overlaps(m.span("d"), taken):
                ongoing = present or bool(re.search(r"\bhere\b", m.group(0), re.I))
                found.append(Span("tenure", amount, employer=_emp(m), ongoing=ongoing))
                taken.append(m.span("d"))
    for pattern in CAREER:
        for m in pattern.finditer(sentence):
            amount = parse_duration(m.group("d"))
            if amount and not _overlaps(m.span("d"), taken):
                subject = _career(m.group("f"))
                found.append(Span(subject, amount, ongoing=present or "been" in m.group(0)))
                taken.append(m.span("d"))
    for m in SPAN.finditer(sentence):
        amount = parse_duration(m.group("d"))
        if amount and not _overlaps(m.span("d"), taken):
            found.append(Span("span", amount))
    for m in SINCE.finditer(sentence):
        date = parse_date(m.group("date"))
        before = sentence[: m.start()]
        if date is None:
            continue
        title = re.search(rf"\b(?:an?|the)\s+{_TITLE}\s*$", before)
        if re.search(r"\b(?:been|worked|stayed)\s+(?:here|at|with)\b|\bhere\b", before, re.I):
            emp = re.search(rf"\b(?:at|with)\s+{_EMP}", before)
            found.append(Span("joined", year=date[0], month=date[1], employer=_emp(emp) if emp else "current"))
        elif title:
            found.append(Span("title:" + _field(title.group("t")), year=date[0], month=date[1]))
        elif m2 := re.search(rf"\bin\s+{_FIELD}\s*$", before, re.I):
            found.append(Span(_career(m2.group("f")), year=date[0], month=date[1]))
    for subject, pattern in STARTS:
        for m in pattern.finditer(sentence):
            date = parse_date(m.group("date"))
            if date is None:
                continue
            if subject == "career":
                name = _career(m.group("f") if "f" in pattern.groupindex else None)
            elif subject == "title":
                name = "title:" + _field(m.group("t"))
            else:
                name = "joined"
            found.append(Span(name, year=date[0], month=date[1], employer=_emp(m) if subject == "joined" else None))
    return found


def _career(field: str | None) -> str:
    name = _field(field)
    if not name or name in ("industry", "the industry", "tech", "software", "this field", "the field"):
        return "career"
    return "career:" + name


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)


def roles(sentence: str) -> list[tuple[str, str, int | None]]:
    """(tense, title, level) for each title the speaker gives themselves."""
    found = []
    for tense, pattern in ROLES:
        for m in pattern.finditer(sentence):
            title = _field(m.group("t"))
            if not title or title.split()[0] in ("bit", "lot", "part", "member", "big", "fan", "little"):
                continue
            level = next((LEVELS[w] for w in title.replace("-", " - ").split() if w in LEVELS), None)
            if "mid-level" in title:
                level = LEVELS["mid-level"]
            found.append((tense, title, level))
    return found


def thing_name(raw: str, sentence: str = "") -> str:
    """ "the whole CI system" -> "ci system"; a pronoun becomes the first thing the sentence names."""
    words = [w for w in raw.lower().split() if w not in ARTICLES and w not in ("personally", "myself")]
    if not words or (len(words) == 1 and words[0] in PRONOUNS):
        m = re.search(r"\b(?:[Tt]he|[Oo]ur)\s+((?:[\w'-]+\s+){0,3}?[\w'-]+)\s+(?:was|is|were|had)\b", sentence)
        return thing_name(m.group(1)) if m else ""
    words[-1] = singular(words[-1])
    return " ".join(words)


@dataclass(frozen=True)
class Act:
    """ "I built X" / "X was built by another team", read before any pronoun is resolved."""

    owner: Owner
    verb: str  # "build" or "lead"
    thing: str  # the thing's words as written ("it" stays "it")
    at: int  # where the act's words (the doer, the verb, the thing) start in the sentence


def acts(sentence: str) -> list[Act]:
    """Every act of building or leading in the sentence, with who did it."""
    found: list[Act] = []
    for m in I_DID.finditer(sentence):
        found.append(Act("i", VERB_GROUP[m.group("verb").lower()], m.group("thing"), m.start()))
    for m in I_DID_NOT.finditer(sentence):
        found.append(Act("other", VERB_GROUP[m.group("verb").lower()], m.group("thing"), m.start()))
    for m in BY_OTHER.finditer(sentence):
        agent = m.group("agent").strip().lower()
        owner: Owner = "i" if agent in ("me", "myself", "me alone") else "we" if agent in ("us", "my team", "our team") else "other"
        found.append(Act(owner, VERB_GROUP[m.group("verb").lower()], m.group("thing"), m.start()))
    for m in OTHER_DID.finditer(sentence):
        agent = m.group("agent").strip()
        if agent in NOT_NAMES or agent == "I":
            continue
        found.append(Act("other", VERB_GROUP[m.group("verb").lower()], m.group("thing"), m.start()))
    return found


def is_team(thing: str) -> bool:
    """ "I led a team of four" is a team size (a quantity), not a thing someone built."""
    return re.match(r"(?:team|squad|group|crew)\b|\d", thing) is not None


def ownership(sentence: str) -> list[tuple[Owner, str, str]]:
    """(owner, verb group, thing) for each act whose thing can be named from the sentence alone."""
    found = [(act.owner, act.verb, thing_name(act.thing, sentence)) for act in acts(sentence)]
    return [f for f in found if f[2] and not is_team(f[2])]
