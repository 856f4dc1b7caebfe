"""Listening before asking: what the candidate has already covered, and what kind of reply an
answer is (small talk, or an answer to a different question).

The rules, all in code over the one text vocabulary (`interviewer.evaluation.signals`):

- A planned question is *covered* by an answer given to another question when that answer meets
  the question's `covered_when` in the bank (a cue in one of its sentences, the listed signals,
  a minimum length). Only questions of the evaluated phases that were not asked yet are covered;
  the opening, "your questions" and the close are always asked.
- A covered question is skipped (`PlanItem.skipped` records "answer N covered it" with the
  words that did), and the next line acknowledges it with a short verbatim fragment of that
  answer in the persona's own template (`phrases.acknowledge`), never generic praise.
- A planned question whose topic an earlier answer to another question named in so many words
  (its `cue`), but too briefly to cover it, is *touched*: it is asked, with a few of those words
  in the note, so the interviewer builds on them ("the problem you're solving with moving invoice
  generation off a nightly cron?") instead of asking as if nothing had been said.
- Small talk: a short answer made of pleasantries and nothing a question could use.
- Answering something else: asked a behavioural question, the latest answer meets another
  planned question's cue and neither the cue nor a keyword of the one asked; the policy then
  refocuses once (rule 3 in `interviewer.interview.policy`). A story that fits several questions
  (any story answers "tell me about yourself") is never "something else".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from interviewer.evaluation import signals
from interviewer.interview.cleanup import sanitize
from interviewer.interview.plan import EVALUATED_PHASES, BankQuestion, CoveredWhen, QuestionBank
from interviewer.session import PlanItem, Session

FRAGMENT_WORDS = 10  # an acknowledgement quotes a clause of at most CLAUSE_WORDS, else this many words
CLAUSE_WORDS = 14
CLAUSE = re.compile(r"[,;:()]|\s[-–—]\s")
SMALL_TALK_WORDS = 20
DANGLING = frozenset(
    "and or but so because which that who to of with for in on at by from a an the my our their "
    "i i've i'm i'd we we've it it's was is were had has have been".split()
)  # a pleasantry longer than this is probably saying something


@dataclass(frozen=True)
class Coverage:
    """An earlier answer that already answered a planned question."""

    item_id: str
    answer_number: int  # 1-based, among the candidate's answers
    fragment: str  # verbatim (whitespace collapsed), at most FRAGMENT_WORDS words

    @property
    def reason(self) -> str:
        return f"Skipped {self.item_id}: answer {self.answer_number} already covered it (\"{self.fragment}\")."


def match(answer: str, rule: CoveredWhen) -> tuple[int, int] | None:
    """The span in `answer` that shows it meets `rule` (the cue, else the first required
    signal), or None when it does not."""
    if len(re.findall(r"\w+", answer)) < rule.min_words:
        return None
    sig = signals.compute(answer)
    spans: list[tuple[int, int]] = []
    for name in rule.signals:
        if name in signals.CUES:
            found = signals.CUES[name].search(answer)
            if found is None:
                return None
            spans.append(found.span())
        elif not sig.hit(name):
            return None
        else:
            spans.extend(sig[name].spans[:1])
    if rule.cue:
        cue = re.search(rule.cue, answer, re.IGNORECASE)
        if cue is None:
            return None
        return cue.span()
    return spans[0] if spans else (0, 0)


def fragment(answer: str, span: tuple[int, int]) -> str:
    """A short verbatim piece of what they said around `span`: its clause (between commas,
    semicolons or dashes) when that is short, else a window of words around it."""
    start, end = signals.compute(answer).sentence_of(span) if span != (0, 0) else (0, len(answer))
    at = min(max(span[0], start), end)
    bounds = [m.end() for m in CLAUSE.finditer(answer, start, at)]
    after = CLAUSE.search(answer, at, end)
    clause = answer[bounds[-1] if bounds else start : after.start() if after else end].split()
    if 3 <= len(clause) <= CLAUSE_WORDS:
        words = clause
    else:
        words = answer[start:end].split()
        first = max(0, min(len(answer[start:at].split()) - 3, len(words) - FRAGMENT_WORDS))
        words = words[first : first + FRAGMENT_WORDS]
    while len(words) > 3 and words[-1].lower().strip(",;:") in DANGLING:
        words.pop()  # end on a content word: "... a logistics company", not "... company and I've"
    return " ".join(words).strip(" ,;:.!?\"'“”")


def covering(session: Session, bank: QuestionBank, item: PlanItem, rule: CoveredWhen | None = None) -> Coverage | None:
    """The first answer that already answered `item`'s question, if any (see the module rules);
    `rule` in place of the question's own `covered_when`."""
    if item.asked or item.phase not in EVALUATED_PHASES:
        return None
    rule = rule or question_of(bank, item).covered_when
    if rule is None:
        return None
    for number, turn in enumerate(session.answers(), start=1):
        if turn.question_id == item.id:
            continue
        text = sanitize(turn.text)
        span = match(text, rule)
        if span is not None:
            return Coverage(item.id, number, fragment(text, span))
    return None


def touched(session: Session, bank: QuestionBank, item: PlanItem) -> Coverage | None:
    """An earlier answer to another question that named `item`'s topic in so many words (its
    cue) but too briefly to skip it: the question is then asked building on what was said,
    not as if it had not been (issue 27: "a planned question an answer already covered is
    skipped or bridged from what was said")."""
    rule = question_of(bank, item).covered_when
    if rule is None or not rule.cue:
        return None
    return covering(session, bank, item, rule.model_copy(update={"min_words": 0}))


GENERIC_WORDS = frozenset(
    "about would there their think thing things where which while tell are you your was were the and "
    "for how what why did does can could with that this one time some any".split()
)


def stems(text: str) -> set[str]:
    """Content-word stems (first five letters), the crude "same words" test the wording checks use."""
    return {w[:5] for w in re.findall(r"[a-z]{3,}", text.lower()) if w not in GENERIC_WORDS}


def drifted(line: str, anchors: Sequence[str], session: Session, item_id: str) -> bool:
    """A follow-up line that took its subject from an answer to an earlier question: it shares
    words with those answers and none with `anchors` (the answer it follows up on and its
    template). The model's known slip (prompts/interviewer_task_probe.md): seen in Chromium, "How
    would you ensure the new read replica and alert are properly tested?" after "I don't know
    Kubernetes networking well"."""
    own = stems(line)
    if own & stems(" ".join(anchors)):
        return False
    earlier = " ".join(t.text for t in session.answers() if t.question_id != item_id)
    return bool(own & stems(sanitize(earlier)))


def other_topic(bank: QuestionBank, current: PlanItem, latest: str) -> str | None:
    """The topic of another question of the bank that `latest` answers instead of `current`'s, or
    None when it (also) answers the question asked or answers no other one."""
    own = question_of(bank, current).covered_when
    # Only behavioural questions ask for one particular kind of story; any story of theirs answers
    # "tell me about yourself", "what are you working on" or "a problem you debugged".
    if own is None or current.phase != "behavioural":
        return None
    if match(latest, own.model_copy(update={"min_words": 0})) is not None or mentions(latest, question_of(bank, current).keywords):
        return None  # on the question asked (however briefly)
    for phase in EVALUATED_PHASES & set(bank.phases):
        for question in bank.phases[phase]:
            rule = question.covered_when
            # Only a topic named in so many words (a cue) counts; a well-told story fits many questions.
            named = rule is not None and (rule.cue or any(n in signals.CUES for n in rule.signals))
            if question.id != current.id and rule is not None and named and match(latest, rule) is not None:
                return question.topic.split(":")[0]
    return None


def mentions(text: str, words: Sequence[str]) -> bool:
    """Whether `text` uses one of `words` (as a word start: "disagree" matches "disagreed")."""
    return any(re.search(rf"\b{re.escape(w)}", text, re.IGNORECASE) for w in words)


def is_small_talk(text: str) -> bool:
    """A short pleasantry ("Good, thanks! Nice to meet you.") with nothing a question could use."""
    words = len(re.findall(r"\w+", text))
    return 0 < words <= SMALL_TALK_WORDS and bool(signals.PLEASANTRY.search(text)) and not (
        signals.KNOWLEDGE_GAP.search(text) or signals.compute(text).hit("number")
    )


def has_pleasantry(text: str) -> bool:
    return bool(signals.PLEASANTRY.search(text))


def asked_back(text: str) -> bool:
    return bool(signals.ASKED_BACK.search(text))


def question_of(bank: QuestionBank, item: PlanItem) -> BankQuestion:
    try:
        return bank.question(item.id)
    except KeyError:  # a plan from an older bank: nothing is known about covering it
        return BankQuestion(id=item.id, topic=item.topic, question=item.topic.rstrip(".") + "?")
