"""Transparent text signals computed in code, used next to the model's yes/no checks, and the ONE
text vocabulary of the code base: the lesson (and other) cues that the evaluator, the interviewer's
policy and phrasing, the report and its rewrites all use, so they cannot contradict each other
about the same answer. Sentences come from the one splitter below every wing, `interviewer.text`.

Each signal is a small, readable rule over the answer (causal connectives, investigation verbs,
prevention, numbers, first person, lessons, overclaiming, blame, hedging, filler), meant as
general interview-domain vocabulary; each records the sentences that triggered it so the
evaluator can quote the candidate's own words as evidence. No alternative may be written from an
evaluation row (the dev set, benchmarks/data/ tune or held-out). Earlier sessions did: issue 13
removed 38 alternatives that were the dev set's own phrasing (bd0b334); issue 24 removed the dev
set's phrases still here or put back later, and the alternatives of 45a4ef5 that each matched a
single tune-split answer of benchmarks/data/calibration_pairs.jsonl. What remains still matches
evaluation text where the words are ordinary ("because", "reproduced", "I learned"), and signals
and weights were chosen on the tune split (45a4ef5), so the dev set is a smoke test only and
tune-split numbers are not an independent measure.
Signals are presence-based (not counts) so a longer answer does not win by saying more words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from interviewer.text import Span, sentences


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
    r"fifty|sixty|hundred|thousand|million|billion|half|twice|double|triple|dozen"
)

PATTERNS: dict[str, re.Pattern[str]] = {
    "causal": _rx(
        r"\bbecause\b", r"\bwhich meant\b", r"\bmeant that\b", r"\bcaused by\b", r"\bcaus(?:ed|ing)\b",
        r"\bdue to\b", r"\bthe reason\b", r"\broot cause\b", r"\bturned out\b", r"\bled to\b",
        r"\bresult(?:ed|ing) in\b", r"\bso (?:every|any|all|each|no)\b",
        r"\bwithout (?:a|an|any) (?:timeout|limit|index|lock|bound)\b",
        r"\bmissing (?:index|timeout|limit|lock|check)\b",
    ),
    "investigation": _rx(
        r"\breproduc(?:ed|e|ing)\b", r"\bprofil(?:ed|er|ing|e)\b", r"\blogg(?:ed|ing)\b", r"\bthe logs?\b",
        # Reading any named log ("I read the load balancer logs", "checked our nginx logs").
        r"\b(?:read|checked|went through|looked (?:at|through)|grepped|searched|pulled) (?:the |our |their )?(?:\w+ ){0,3}logs?\b",
        r"\btrac(?:ed|ing)\b", r"\bstack ?trace\b", r"\bheap (?:snapshot|dump)\b", r"\bflame ?graphs?\b",
        r"\bEXPLAIN\b", r"\bquery plans?\b", r"\bbisect(?:ed|ing)?\b", r"\bdebugger\b", r"\bbreakpoints?\b",
        r"\b(?:core|thread|memory|heap) dumps?\b", r"\bstrace\b", r"\btcpdump\b", r"\bpacket capture\b", r"\bload test\b",
        r"\bmeasur(?:ed|ing)\b", r"\bbenchmark(?:ed|ing)?\b", r"\binstrument(?:ed|ing)\b", r"\bmetrics\b",
        r"\bgraphs?\b", r"\b(?:showed|revealed)\b", r"\b(?:found|noticed|saw|discovered) that\b",
        r"\bnarrowed (?:it )?down\b", r"\bdug into\b", r"\bsat with\b",
    ),
    "prevention": _rx(
        r"\badded (?:a |an )?(?:regression |unit |integration |load )?tests?\b", r"\bregression tests?\b",
        r"\balert(?:s|ing)?\b", r"\bmonitor(?:s|ing)?\b", r"\bcan(?:'|no)t (?:happen|recur)",
        r"\bso (?:it|this|that|a \w+|the \w+) (?:can(?:'|no)t|won'?t|will not|never)\b",
        r"\b(?:won'?t|never) happen(?:s)? again\b", r"\blint(?:er|ing)? rule\b", r"\bguard(?:rail)?s?\b",
        r"\bin CI\b", r"\brunbook\b", r"\bpost-?mortem\b", r"\bcircuit breaker\b", r"\brate limit",
        r"\bchecklist\b",
    ),
    "fix_verb": _rx(
        r"\b(?:I|we) (?:then )?(?:changed|replaced|rewrote|fixed|moved|added|set|switched|removed|"
        r"patched|split|rebuilt|introduced|wrapped|capped|limited|indexed|batched|refactored|made (?:both|it|the|every|all)|"
        r"pinned|reordered|escaped|deduplicated|bounded)\b",
    ),
    "workaround": _rx(
        r"\brestart(?:ed|s|ing)?\b", r"\breboot(?:ed|ing)?\b", 
        r"\b(?:bigger|larger|faster|more) (?:machines?|instances?|servers?|boxes|hardware|nodes|memory|RAM)\b",
        r"\bscaled (?:it )?up\b", r"\bwaited\b", 
        r"\bstopped happening\b", r"\bthrew (?:more )?hardware\b",
        # More of a resource: the symptom bought off, the cause untouched.
        r"\b(?:increased|raised|bumped|doubled|tripled|upped)\b(?: \w+){0,3} (?:memory|timeouts?|thresholds?|replicas|executors|"
        r"instances|nodes|servers|pods|capacity|disk(?: size)?|heap|limits?)\b",
        r"\brolled (?:it |everything |the \w+ )?back\b",
    ),
    # A cause guessed, not found: a hedge on what went wrong.
    "speculation": _rx(
        r"\bprobably\b", r"\bpresumably\b", r"\bmust have been\b", r"\bfor some reason\b",
        r"\bsomehow\b", r"\bsome (?:kind|sort) of\b",
        r"\bI (?:think|guess|assume|suspect|believe) (?:it|that|this|the (?:issue|problem|cause))\b",
        r"\b(?:a|some|just a) (?:glitch|fluke|blip|hiccup)\b",
    ),
    "filler": _rx(
        r"\bbest practices?\b",
        r"\bsynerg", r"\bleverag(?:e|ed|ing)\b", r"\bcutting[- ]edge\b", r"\bworld[- ]class\b",
        r"\bat the end of the day\b", r"\bpassionate\b",
        r"\bindustry[- ]standard\b",
        r"\bgame[- ]?changer\b", r"\bmove the needle\b", r"\bseamless(?:ly)?\b", r"\bholistic\b",
        r"\bparadigm\b", r"\bvalue[- ]add\b", r"\bthink outside the box\b",
        r"\bin today's\b", r"\bfast[- ]paced\b", r"\bdata[- ]driven\b", r"\bend[- ]to[- ]end\b",
    ),
    "admits_limit": _rx(
        r"\bI (?:don'?t|do not) know\b", r"\bI(?:'ve| have) never\b", r"\bI haven'?t\b", r"\bI(?:'m| am) not sure\b",
        r"\bnot an expert\b", r"\bI(?:'d| would) (?:need|have) to (?:learn|read|look|check|ask)\b",
        r"\bI was wrong\b", r"\bmy mistake\b", r"\bI made a mistake\b", r"\bI messed up\b", r"\bI broke\b",
        r"\bmy fault\b", r"\bI should have\b", r"\bI missed\b", r"\bI underestimated\b", r"\bI got \w+ wrong\b",
        r"\bI struggle", r"\bI(?:'m| am) still (?:learning|working on)\b",
        r"\bto be honest\b", r"\bmy weakness\b", r"\bthe hard way\b",
        r"\bI only (?:know|read|used)\b",
        r"\bI didn'?t (?:know|realise|realize|check|test|ask)\b", r"\bI was (?:afraid|nervous|scared)\b",
        r"\bnot (?:something )?I(?:'ve| have) done\b", r"\bI avoid\b", r"\bnot much\b", r"\bI(?:'m| am) (?:weak|slow|bad) at\b",
    ),
    "own_part": _rx(
        r"\bmy (?:part|role|piece)\b", r"\bI (?:personally|myself)\b", r"\bI was responsible\b", r"\bI owned\b",
        r"\bwhile (?:the team|they|my (?:colleague|teammate|manager|lead))\b", r"\bthe rest of the team\b",
        r"\bI (?:wrote|built|reproduced|profiled|found|asked|added|replaced|fixed)\b",
    ),
    "overclaim": _rx(
        
        r"\binside out\b", r"\bI(?:'m| am) (?:an |a true |the )?(?:expert|master|guru|ninja|rockstar)\b",
        r"\bexpert (?:in|at)\b", r"\bI led everything\b", r"\bsingle-?handedly\b", r"\ball by myself\b",
        r"\bbest (?:engineer|developer|programmer|on the team)\b", r"\bnever (?:make|made) (?:a )?mistakes?\b",
        r"\bflawless(?:ly)?\b", r"\bperfectionist\b",
        r"\b(?:nothing|not much) to (?:work on|improve)\b",
        r"\bno (?:real )?weaknesses\b", r"\bknow everything\b", r"\b10x\b", r"\bbetter than (?:anyone|everyone|most)\b",
        r"\bnobody else could\b",
    ),
    "blame": _rx(
        r"\b(?:their|his|her|the other team'?s|management'?s|QA'?s|the client'?s) fault\b",
        r"\bnot my (?:fault|problem|responsibility|job)\b", r"\bblam(?:e|ed)\b", r"\bit wasn'?t me\b",
        r"\bbecause (?:they|the other team|management|QA|the client|the PM|my manager) (?:didn'?t|did not|never|wouldn'?t)\b",
        r"\b(?:they|management|QA|the other team|my manager) (?:didn'?t|did not|never) (?:tell|give|test|listen|document)",
        r"\b(?:the|our) (?:vendor|provider|other team|ops team|QA team|contractors?) (?:had|caused|broke|messed)\b",
        r"\bincompetent\b",
    ),
    "evasion": _rx(
        r"\bcan'?t (?:really )?(?:go into|talk about|share|discuss|say much)\b", r"\bconfidential\b",
        r"\bI'?d rather not\b", r"\bnot at liberty\b", r"\bit'?s complicated\b", r"\bno comment\b",
        r"\bI don'?t (?:really )?remember\b", r"\bunder (?:an )?NDA\b",
    ),
    "hedge": _rx(
        r"\bI think\b", r"\bmore or less\b", r"\bkind of\b", r"\bsort of\b", r"\bsome people\b",
        r"\bsomehow\b", r"\bwhatever\b", r"\band so on\b", r"\bor something\b", r"\bI guess\b", r"\bstuff\b",
        r"\b\w+ thing\b(?! that)", r"\beventually\b",
    ),
    "lesson": _rx(
        r"\bI learn(?:ed|t)\b", r"\btaught me\b", r"\blessons?\b", r"\bnow (?:I|every|we)\b", r"\bsince then\b",
        r"\bnext time\b", r"\bfrom then on\b", r"\bI reali[sz]ed\b", r"\bI(?:'d| would) (?:do|handle) \w+ differently\b",
        r"\bin hindsight\b", r"\blooking back\b", r"\btakeaway\b", r"\bI now\b", r"\bthese days I\b", r"\bever since\b",
        r"\bI(?:'ve| have) started\b", r"\bI always \w+ now\b",
    ),
    "result_change": _rx(
        r"\bwent from\b", r"\bfrom [\w.$%]+ (?:\w+ )?to [\w.$%]+", r"\bdropped\b", r"\bfell\b", r"\brose\b",
        r"\bcut (?:\w+ )?(?:by|from|to)\b", r"\bsaved\b", r"\bstopped\b", r"\bshipped\b", r"\bon time\b",
        r"\bby \d+ ?%", r"\d+ ?%", 
        r"\b(?:reduced|increased|improved) (?:\w+ )?(?:by|to|from)\b", r"\bhalved\b", r"\bdoubled\b",
    ),
    "number": _rx(r"\b\d[\d,.]*\b", rf"\b(?:{NUMBER_WORDS})\b"),
    "generic": _rx(
        r"\bI (?:always|usually|generally|typically|tend to)\b", r"\bis (?:very |really )?important\b",
        r"\bin general\b",
    ),
}

_IRREGULAR_PAST = (
    r"was|were|had|took|found|made|went|saw|told|ran|sat|asked|laid|set|put|led|gave|got|chose|spent|"
    r"taught|thought|kept|brought|caught|drove|began|paid|met|read|sent|spoke|wrote|built|did|came|"
    r"became|fell|rose|shut|broke|held|knew|left|lost|won|sold|bought|hit|cut"
)
_PAST = re.compile(rf"\b(?:\w{{3,}}ed|{_IRREGULAR_PAST})\b", re.IGNORECASE)
_I_ACTION = re.compile(rf"\bI (?:\w+ly |then |also |first )?(?:\w{{2,}}ed|{_IRREGULAR_PAST})\b")
_I = re.compile(r"\b(?:I|my|me|myself)\b|\bI'")
_WE = re.compile(r"\b(?:we|our|us)\b|\bwe'", re.IGNORECASE)


@dataclass
class SignalHit:
    name: str
    hit: bool
    spans: list[Span] = field(default_factory=list)  # the matched spans, for evidence


@dataclass
class TextSignals:
    text: str
    hits: dict[str, SignalHit]
    words: int
    i_count: int
    we_count: int

    def __getitem__(self, name: str) -> SignalHit:
        return self.hits[name]

    def hit(self, name: str) -> bool:
        return self.hits[name].hit

    def sentence_of(self, span: Span) -> Span:
        """The sentence containing a span (quotes are whole sentences, so they read well)."""
        for start, end in sentences(self.text):
            if start <= span[0] < end:
                return start, end
        return span


def _matches(name: str, text: str) -> list[Span]:
    return [m.span() for m in PATTERNS[name].finditer(text)]


def _derived(text: str, raw: dict[str, list[Span]]) -> dict[str, SignalHit]:
    """Signals built from several raw patterns (the combinations are documented inline)."""
    sents = sentences(text)
    out: dict[str, SignalHit] = {}
    has = {k: bool(v) for k, v in raw.items()}
    understood = has["causal"] or has["investigation"]
    # A workaround counts against the answer only when nothing shows the cause was understood.
    out["workaround_only"] = SignalHit("workaround_only", has["workaround"] and not understood, raw["workaround"])
    # A fix on the cause: a concrete change verb, with the cause understood, and no workaround.
    fix_ok = has["fix_verb"] and understood and not has["workaround"]
    out["fix_on_cause"] = SignalHit("fix_on_cause", fix_ok, raw["fix_verb"] if fix_ok else [])
    past = [s for s in sents if _PAST.search(text[s[0] : s[1]])]
    generic = raw["generic"]
    # A specific situation: several sentences narrate past events and none is a generic habit.
    situation = len(past) >= 3 and not generic
    out["situation"] = SignalHit("situation", situation, past[:1] if situation else [])
    i_actions = [m.span() for m in _I_ACTION.finditer(text)]
    out["first_person_actions"] = SignalHit("first_person_actions", len(i_actions) >= 2, i_actions)
    # A result: an explicit change, or a number in the last third of the answer (outcomes come last).
    tail_start = int(len(text) * 0.6)
    tail_numbers = [s for s in raw["number"] if s[0] >= tail_start]
    result_spans = raw["result_change"] or tail_numbers
    out["result"] = SignalHit("result", bool(result_spans), result_spans)
    # Rambling: two or more hedges, or a run-on sentence strung together with "and".
    runon = [s for s in sents if len(re.findall(r"\band\b", text[s[0] : s[1]])) >= 4]
    hedges = raw["hedge"]
    out["rambling"] = SignalHit("rambling", len(hedges) >= 2 or bool(runon), hedges + runon)
    return out


def compute(text: str) -> TextSignals:
    raw = {name: _matches(name, text) for name in PATTERNS}
    hits = {name: SignalHit(name, bool(spans), spans) for name, spans in raw.items()}
    hits.update(_derived(text, raw))
    return TextSignals(
        text=text,
        hits=hits,
        words=len(re.findall(r"\w+", text)),
        i_count=len(_I.findall(text)),
        we_count=len(_WE.findall(text)),
    )


# Every name a rubric criterion may reference (validated by interviewer/rubric.py).
SIGNAL_NAMES: frozenset[str] = frozenset(PATTERNS) | frozenset(
    {"workaround_only", "fix_on_cause", "situation", "first_person_actions", "result", "rambling"}
)


# -- cues the report uses next to the scores ----------------------------------------------------------
# They only feed judgments the report explains in words (objectives, "what to practise"); they
# never change a score.
# A question asked back to the interviewer (rapport, curiosity).
QUESTION_BACK = re.compile(r"\?\s*$|\?\s+\S", re.MULTILINE)
# A number with something that makes it impact: %, money, time, people, volume.
QUANTIFIED_IMPACT = re.compile(
    r"(\d[\d,.]*\s*(%|percent|x\b|times\b|k\b|ms\b|s\b|seconds?|minutes?|hours?|days?|weeks?|"
    r"months?|users?|customers?|people|engineers?|requests?|tickets?|GB|TB|MB)|[$€£]\s*\d)",
    re.IGNORECASE,
)
# A lesson made explicit (growth): the evaluator's own "lesson" signal, so the report and the
# rewrite never disagree with the score about whether an answer states one.
LESSON = PATTERNS["lesson"]
# Owning a mistake or a gap (growth, honesty).
OWNS_MISTAKE = re.compile(
    r"\b(my mistake|my fault|i was wrong|i got (?:it|that) wrong|i should have|i missed|"
    r"i didn'?t know|i don'?t know|i broke|i caused|i messed up|i underestimated)\b",
    re.IGNORECASE,
)
# Questions from the interviewer that invite a mistake, failure or lesson.
ASKS_FOR_GROWTH = re.compile(r"\b(mistake|fail\w*|wrong|learn\w*|weakness\w*|regret)\b", re.IGNORECASE)


# -- cues the interviewer listens for ------------------------------------------------------------
# They choose the interviewer's next move (interviewer.interview.policy / listening); they never
# change a score.
# A gap in knowledge or skill the candidate names ("I don't know Kafka internals well"). Narrower
# than `admits_limit`, which on purpose also counts owned mistakes ("I broke prod"): a named gap
# gets "how would you close it?", a mistake gets "what did you learn?".
KNOWLEDGE_GAP = _rx(
    r"\bI (?:don'?t|do not) (?:really |yet )?know (?!(?:why|what|how|whether|if|when|where|who)\b)\w+",
    # "never" + any past participle ("never tuned", "never deployed"): a first-hand gap.
    r"\bI(?:'ve| have) never (?:really |actually |personally )?(?:\w+ed|worked (?:with|on)|done|written|built|run|"
    r"seen|taken|led|set up|dealt with)\b",
    r"\bI haven'?t (?:used|worked (?:with|on)|touched|done|had (?:the|a|much) (?:chance|exposure))\b",
    r"\bnot an expert\b", r"\bI(?:'m| am) not (?:very |that |too |really )?(?:familiar|strong|experienced|comfortable)\b",
    r"\bI(?:'m| am) (?:weak|slow|bad|not great|not good) (?:at|with)\b", r"\bI(?:'m| am) still learning\b",
    r"\bmy (?:real )?weak(?:ness|est| spot| point)\b", r"\bI struggle (?:with|to)\b", r"\bgaps? in my\b",
    r"\bI only know the basics\b", r"\blimited experience\b",
)
# The candidate already says how they would close a gap ("I'd read the docs and ask the team").
LEARNING_PLAN = _rx(
    r"\bI(?:'d| would|'ll| will| plan to|'m going to| am going to) (?:probably |first |start by )?"
    r"(?:read|ask|pair|learn|take|practi[cs]e|study|shadow|set up|build|try|look|sit|write)",
    r"\bI(?:'ve| have) (?:started|been (?:reading|practi[cs]ing|learning|taking|pairing))\b",
    r"\bI(?:'m| am) (?:working on|taking|reading|practi[cs]ing|learning)\b",
)
# Small talk: a pleasantry ("Good, thanks! Nice to meet you.") and a pleasantry asked back.
PLEASANTRY = _rx(
    r"^\s*(?:hi|hello|hey|(?:good )?(?:morning|afternoon|evening))\b",
    # Weather and "glad to be here": the other openers people use before an interview starts.
    r"\b(?:lovely|nice|beautiful|great|terrible|awful|horrible) (?:weather|day (?:out|today))\b",
    r"\b(?:happy|glad|excited) to be here\b", r"\b(?:nice|lovely|great|good) to (?:meet|see)\b",
    r"\b(?:good|great|fine|well|not bad|pretty good|doing (?:well|good|fine))(?:,)? thanks?\b",
    r"\bthanks? for (?:having|inviting|the invite)\b", r"\bhow are you\b", r"\band you\?", r"\bnervous\b",
    r"\bfound (?:you|the place|it) (?:easily|fine|ok)\b", r"^\s*(?:good|great|fine|ok|okay)[.!]?\s*$",
)
ASKED_BACK = _rx(r"\bhow are you\b", r"\band you(?: guys)?\?", r"\bhow(?:'s| is) your (?:day|morning|week)\b")
# Named cues a question bank entry may require of an answer that covers its topic (next to the
# signal names), so the bank reuses this vocabulary instead of repeating its regexes.
CUES: dict[str, re.Pattern[str]] = {
    "owns_mistake": OWNS_MISTAKE,
    "knowledge_gap": KNOWLEDGE_GAP,
    "learning_plan": LEARNING_PLAN,
    "quantified_impact": QUANTIFIED_IMPACT,
}


def count(pattern: re.Pattern[str], texts: list[str]) -> int:
    """How many of `texts` contain the pattern at least once."""
    return sum(1 for text in texts if pattern.search(text))
