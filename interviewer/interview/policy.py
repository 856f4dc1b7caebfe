"""The follow-up policy: decide in code whether to probe, and which kind of probe to ask.

The embedded 1.5B model follows up well when told to, but never chooses to move on after a
complete answer and re-asks facts already given (DESIGN.md), so the decision is made here, in
code, over everything the candidate said in reply to the current main question.

What the answer lacks comes from the reader when there is one (`reading`, a KindReading from
probe_head.py: the embedded model's own states of the question and answer, rule R): the lexical
rules below chose a kind the training authors marked wrong for 0.62 of their answers, the reader's
best kind for 0.21, and above its bar for 0.10 (training/probes/, one author left out). Without a
reading (a remote backend, no head for this model file, or a read that did not come in time)
rules 4-7 look at transparent text signals (`interviewer.evaluation.signals`, the one vocabulary)
but name only what those signals show reliably (rule L).
Evaluations of earlier answers, when they have landed, only re-rank the gaps (weakest rubric
dimension first); the policy never waits for them.

The rules (the conversation benchmark, benchmarks/bench_conversation.py, judges probe kinds by
them; each probe records the reason of the rule that fired):

1. Stay in role: an answer that tries to end, shortcut or reconfigure the interview, or talks to
   the grader, gets `redirect` (re-ask the same question) before anything else.
2. Small talk is small talk: a short pleasantry in reply to a real question ("Good, thanks, nice
   to meet you!") gets `small_talk`: a human reply, then the question again. Once per question.
3. Answered something else: an answer that covers another planned topic and not the one asked
   gets `refocus`: a gentle pointer back to the question asked. Once per question; the other
   topic then counts as covered (interviewer.interview.listening).
4. A named gap: an answer that admits not knowing something ("I don't know Kafka internals
   well", "my weakness is estimating") gets `close_gap` ("how would you close it / find out?").
   When the answer tells no story besides the admission, nothing that presupposes a story is
   asked (no why / how_found / prevention / own_part / impact / example / specifics / lesson):
   there is no result to put a number on. With a plan already given ("I'd read the docs"),
   `close_gap` is a minor gap (asks for the first concrete step; a lenient persona moves on).
5. A problem story without its cause gets `why` (critical, however short); without how the cause
   was found, `how_found`; without what stops it recurring (or a lesson), `prevention`.
6. Too short or evasive, on a question that expects a story: `example`.
7. "We" throughout and no own actions, where the question expects the candidate's part:
   `own_part`. No result or number where it expects impact: `impact`. No lesson where it
   expects one: `lesson`. A long answer that rambles (hedges, run-on sentences): `specifics`.
8. A gap is only reported when the whole thread on this question lacks it (a fact already given
   is never asked for again) and a probe kind is never used twice on one question.
9. Ranking: 1, then 10, then 2-3, then critical gaps (4, the missing cause, an example when
   nothing else applies), then the weakest dimension so far, then the order of
   interviewer_probes.yaml. Move on when nothing is missing, when the persona's probe budget is
   spent, or when only as many minor gaps remain as the persona tolerates.
R. With a reading, rules 4-7 are replaced: the reader's best kind not yet asked on this question
   is asked (critical) when its score clears the head's bar; `move_on` as the best kind moves on,
   above the bar or not (moving on states no reason); otherwise, below the bar, the interviewer
   asks them to say more without naming a gap (`elaborate`, a minor gap: a lenient persona moves
   on). KindReading.choice decides. Rules 1-3 and 10 stay: the reader cannot know them.
L. Without a reading (a backend with no reader, or probe_head.NOT_READ: it reads, but not in time
   for this answer): rules 4-7 name only `close_gap` and `example`, whose stated reason was false
   for 1 of the 65 training answers where the rules chose them; any other gap they see becomes the
   neutral follow-up (`trusted_gaps`), critical when a critical gap (a missing cause) was among them
   and nothing else is asked, so a lenient persona still follows up on it. The other kinds'
   reasons were false for 298 of 904 (training/probes/, fourteen authors; benchmarks/RESULTS.md 11c).
10. Two facts that disagree: when the latest answer contradicts something said earlier (an
   earlier answer, the résumé, an earlier session; the claim ledger decides in code,
   interviewer.interview.reconcile), `reconcile` quotes both and asks which is right, right
   after that answer and before every rule but 1 (staying in role comes first; the contradiction
   is then reported, not asked). At most once per contradiction and once per answer, and only
   where the policy probes at all (not after the opening small talk, the candidate's own
   questions or the close: there it is reported, not asked). It is asked even when the probing
   budget is spent and does not count against it: the budget limits how deep a story is dug,
   while this is a fact check that gives the candidate the chance to clear up what the report
   would otherwise show unanswered; and one per answer keeps it from becoming an interrogation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Literal

from interviewer.evaluation import injection
from interviewer.evaluation import signals
from interviewer.interview.personas import ProbingSpec
from interviewer.interview.plan import BankQuestion, ProbeKind, QuestionBank
from interviewer.interview.probe_head import MOVE_ON, NOT_READ, KindReading
from interviewer.session import DIMENSIONS, Dimension, EvalStatus, Evaluation

# An answer that talks about a problem: root-cause probes (why, how found, prevention) apply.
PROBLEM = re.compile(
    r"\b(?:bugs?|outages?|incidents?|broke|broken|crash(?:ed|es|ing)?|fail(?:ed|ure|ing|s)?|errors?|"
    r"issues?|problems?|slow(?:er|ness|ed)?|latency|leak(?:s|ed|ing)?|went down|down ?time|fix(?:ed|es|ing)?|"
    r"went wrong|mistakes?|regressions?|time ?outs?|timed out|timing out|spikes?|degrad(?:ed|ation)|stuck|hung|"
    r"data loss|corrupt(?:ed|ion)?|rollback|rolled back|hotfix|on-?call|paged|alerts?)\b",
    re.IGNORECASE,
)
# Attempts to end, shortcut or reconfigure the interview (besides the injection scanner's rules).
HOSTILE = re.compile(
    r"\b(?:end|stop|finish|skip|terminate)\s+(?:the|this)\s+interview\b|\bgive me the (?:job|offer)\b|"
    r"\bhire me\b|\b(?:reveal|show|print|repeat|tell me|what are)\s+(?:me\s+)?(?:your|the)\s+"
    r"(?:instructions|prompt|system prompt|rules|notes|scores?)\b|\bignore (?:all|your|previous|the)\b",
    re.IGNORECASE,
)
SHORT_ANSWER_WORDS = 20  # under this, the thread has no story yet: ask for a specific example
RAMBLING_WORDS = 150


@dataclass(frozen=True)
class Gap:
    kind: str
    dimension: Dimension
    reason: str
    critical: bool = False  # probed even when the persona tolerates some gaps


@dataclass(frozen=True)
class Decision:
    action: Literal["probe", "move_on"]
    kind: str | None = None
    dimension: Dimension | None = None
    reason: str = ""
    gaps: tuple[Gap, ...] = field(default_factory=tuple)

    @property
    def probe(self) -> bool:
        return self.action == "probe"


def is_hostile(text: str) -> bool:
    """The candidate tries to make the interviewer leave its role (reveal, end, hand out the job)."""
    return bool(HOSTILE.search(text)) or injection.scan(text).found


# Probe kinds that ask for more of a story (or its lesson); an answer that only admits a gap has
# none (rule 4).
STORY_KINDS = frozenset({"why", "how_found", "prevention", "own_part", "impact", "example", "specifics", "lesson"})
# Kinds that keep the conversation on its rails (rules 1-3): asked before any gap.
STEERING_KINDS = frozenset({"redirect", "small_talk", "refocus"})
# Rule R below the reader's bar: a follow-up that names no gap, so its reason cannot be false.
NEUTRAL = "elaborate"
# Rule L: the kinds the text rules still name when they stand in for a reading that came late.
TRUSTED_RULE_KINDS = frozenset({"close_gap", "example"})
RECONCILE = "reconcile"  # rule 10: two facts disagree; not a gap in the answer, so not in detect_gaps


def detect_gaps(
    thread_text: str,
    latest: str,
    question: BankQuestion,
    probes: dict[str, ProbeKind],
    *,
    small_talk: bool = False,
    other_topic: str | None = None,
    reading: KindReading | None = None,
    probes_done: Sequence[str] = (),
) -> list[Gap]:
    """What the candidate has not yet shown in reply to this question: from the reader's
    `reading` of the thread when there is one (rule R), else from text signals.

    `thread_text` is everything they said on this question (so earlier facts count); `latest` is
    their last answer (hostility and evasion are about what they just said). `small_talk` and
    `other_topic` come from listening to the latest answer (interviewer.interview.listening).
    `reading` is None without a reader and NOT_READ when the reading came late: either way the
    text rules stand in (rule L)."""

    def gap(kind: str, critical: bool = False, reason: str | None = None) -> Gap:
        spec = probes[kind]
        return Gap(kind, spec.dimension, reason or spec.reason, critical)

    gaps: list[Gap] = []
    if "redirect" in probes and is_hostile(latest):
        gaps.append(gap("redirect", critical=True))
    if small_talk and "small_talk" in probes:
        return [*gaps, gap("small_talk", critical=True)]  # nothing else to probe in a pleasantry
    if other_topic and "refocus" in probes:
        reason = f"{probes['refocus'].reason} (The answer was about {other_topic}.)"
        gaps.append(gap("refocus", critical=True, reason=reason))
    if reading is not None and reading is not NOT_READ:
        gaps.extend(read_gaps(reading, probes, probes_done))
        return gaps
    story_told = not admits_gap_only(latest, thread_text)
    found: list[Gap] = []
    if "close_gap" in probes and signals.KNOWLEDGE_GAP.search(latest):
        reason = probes["close_gap"].reason
        if signals.LEARNING_PLAN.search(latest):
            reason += " They said how they would start; asked for the first concrete step."
            found.append(gap("close_gap", reason=reason))  # a plan given: a minor gap
        else:
            found.append(gap("close_gap", critical=True, reason=reason))
    found.extend(g for g in story_gaps(thread_text, latest, question, probes) if story_told or g.kind not in STORY_KINDS)
    gaps.extend(trusted_gaps(found, probes))
    # One gap per kind, in first-found order.
    seen: set[str] = set()
    return [g for g in gaps if not (g.kind in seen or seen.add(g.kind))]  # type: ignore[func-returns-value]


def trusted_gaps(found: Sequence[Gap], probes: dict[str, ProbeKind]) -> list[Gap]:
    """Rule L: of the gaps the text rules `found`, those they name reliably; the neutral follow-up
    in place of any others."""
    kept = [g for g in found if g.kind in TRUSTED_RULE_KINDS]
    dropped = [g for g in found if g.kind not in TRUSTED_RULE_KINDS]
    if dropped and NEUTRAL in probes:
        # A story told without its cause still gets a follow-up from a lenient persona when nothing
        # trusted is asked instead: the gap goes unnamed, not unasked.
        critical = not kept and any(g.critical for g in dropped)
        kept.append(Gap(NEUTRAL, probes[NEUTRAL].dimension, probes[NEUTRAL].reason, critical))
    return kept


def read_gaps(reading: KindReading, probes: dict[str, ProbeKind], probes_done: Sequence[str]) -> list[Gap]:
    """Rule R: the reader's best kind not yet asked, by name only above the head's bar
    (KindReading.choice)."""
    kind = reading.choice(exclude=probes_done)
    if kind == MOVE_ON:
        return []
    if kind is not None:
        return [Gap(kind, probes[kind].dimension, probes[kind].reason, critical=True)] if kind in probes else []
    if NEUTRAL in probes:
        return [Gap(NEUTRAL, probes[NEUTRAL].dimension, probes[NEUTRAL].reason)]
    return []


def admits_gap_only(latest: str, thread_text: str) -> bool:
    """Rule 4: the answer names a gap and tells no story (no situation, no problem) besides it."""
    if not signals.KNOWLEDGE_GAP.search(latest):
        return False
    sig = signals.compute(thread_text)
    return not (sig.hit("situation") or (sig.hit("causal") and sig.hit("fix_verb")))


def story_gaps(thread_text: str, latest: str, question: BankQuestion, probes: dict[str, ProbeKind]) -> list[Gap]:
    """Rules 5-7: what a story told in reply to `question` still lacks."""

    def gap(kind: str, critical: bool = False) -> Gap:
        spec = probes[kind]
        return Gap(kind, spec.dimension, spec.reason, critical)

    gaps: list[Gap] = []
    sig = signals.compute(thread_text)
    latest_sig = signals.compute(latest)
    expects = set(question.expects)
    too_short = sig.words < SHORT_ANSWER_WORDS
    problem_story = (question.stories and bool(PROBLEM.search(thread_text))) or (
        question.force_root_cause and not too_short
    )
    # A problem told without its cause is the gap that matters most, however short the answer.
    if problem_story and not sig.hit("causal"):
        gaps.append(gap("why", critical=True))
    vague = too_short or latest_sig.hit("evasion")
    if "example" in probes and vague and question.expects:
        gaps.append(gap("example", critical=not problem_story))
    if problem_story:
        if not sig.hit("investigation"):
            gaps.append(gap("how_found"))
        if not (sig.hit("prevention") or sig.hit("lesson")):
            gaps.append(gap("prevention"))
    if "own_part" in expects and sig.we_count > sig.i_count and not (
        sig.hit("own_part") or sig.hit("first_person_actions")
    ):
        gaps.append(gap("own_part"))
    if "impact" in expects and not (sig.hit("number") or sig.hit("result")):
        gaps.append(gap("impact"))
    if "lesson" in expects and not sig.hit("lesson"):
        gaps.append(gap("lesson"))
    if "specifics" in probes and latest_sig.words >= RAMBLING_WORDS and latest_sig.hit("rambling"):
        gaps.append(gap("specifics"))
    return gaps


def weakest_dimensions(evaluations: Sequence[Evaluation]) -> list[Dimension]:
    """Dimensions ordered weakest first by mean score over the evaluations that have landed."""
    means: dict[Dimension, float] = {}
    for dim in DIMENSIONS:
        values = [e.score(dim) for e in evaluations if e.status is EvalStatus.OK and e.score(dim) is not None]
        if values:
            means[dim] = sum(v for v in values if v is not None) / len(values)
    return sorted(means, key=lambda d: means[d])


def rank_gaps(gaps: Sequence[Gap], weakest: Sequence[Dimension], order: Sequence[str]) -> list[Gap]:
    """Critical gaps first, then the weakest dimension's, then the probe file's priority order."""

    def key(g: Gap) -> tuple[int, int, int]:
        dim_rank = weakest.index(g.dimension) if g.dimension in weakest else len(DIMENSIONS)
        kind_rank = order.index(g.kind) if g.kind in order else len(order)
        # Staying in role comes before anything else; then critical gaps.
        urgency = 0 if g.kind == "redirect" else 1 if g.kind in STEERING_KINDS else (2 if g.critical else 3)
        return (urgency, dim_rank, kind_rank)

    return sorted(gaps, key=key)


def decide(
    *,
    thread_text: str,
    latest: str,
    question: BankQuestion,
    probing: ProbingSpec,
    probes_done: Sequence[str],
    bank: QuestionBank,
    evaluations: Sequence[Evaluation] = (),
    small_talk: bool = False,
    other_topic: str | None = None,
    contradiction: str | None = None,
    reading: KindReading | None = None,
) -> Decision:
    """Probe (which kind, aimed at which dimension, and why) or move on to the next question.

    `contradiction` is the reason to ask `reconcile` (rule 10), given by the caller when the
    latest answer contradicts an earlier fact that has not been asked about; `reading` is the
    reader's reading of the thread (rule R), None to decide from text signals."""
    gaps = detect_gaps(thread_text, latest, question, bank.probes, small_talk=small_talk, other_topic=other_topic,
                       reading=reading, probes_done=probes_done)
    stay_in_role = any(g.kind == "redirect" for g in gaps) and "redirect" not in probes_done
    if contradiction and RECONCILE in bank.probes and not stay_in_role:
        spec = bank.probes[RECONCILE]
        return Decision("probe", RECONCILE, spec.dimension, contradiction, tuple(gaps))
    open_gaps = [g for g in gaps if g.kind not in probes_done]
    weakest = weakest_dimensions(evaluations)
    ranked = rank_gaps(open_gaps, weakest, list(bank.probes))
    if not ranked:
        return Decision("move_on", reason="The answer covered what this question needs.", gaps=tuple(gaps))
    if len([k for k in probes_done if k != RECONCILE]) >= probing.max_probes:  # rule 10: not budgeted
        return Decision("move_on", reason="Probing budget for this question is spent.", gaps=tuple(ranked))
    if not ranked[0].critical and len(ranked) <= probing.tolerated_gaps:
        return Decision("move_on", reason="Only minor gaps left; moving on.", gaps=tuple(ranked))
    top = ranked[0]
    reason = top.reason
    if weakest and top.dimension == weakest[0] and not top.critical:
        reason += f" ({top.dimension.value.replace('_', ' ')} is the weakest area so far.)"
    return Decision("probe", top.kind, top.dimension, reason, tuple(ranked))


# -- repetition -------------------------------------------------------------------------------
_STOP = frozenset(
    "a an the and or but so to of in on at for with what how why did do does you your was were is it "
    "that this me us we our i about tell can could would has have had been be there then sure ok okay "
    "great nice thanks thank just really that's what's it's you've".split()
)


def normalize(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def similarity(a: str, b: str) -> float:
    """Max of character-level ratio and content-word overlap of two normalized questions."""
    na, nb = normalize(a), normalize(b)
    if not na or not nb:
        return 0.0
    ratio = SequenceMatcher(None, na, nb).ratio()
    wa = {w for w in na.split() if w not in _STOP}
    wb = {w for w in nb.split() if w not in _STOP}
    # Overlap with the shorter question: a shortened re-ask ("what was the hardest challenge in
    # that work?") is still a repeat of the longer original.
    overlap = len(wa & wb) / min(len(wa), len(wb)) if min(len(wa), len(wb)) >= 3 else 0.0
    return max(ratio, overlap)


def is_repeat(text: str, earlier: Sequence[str], threshold: float = 0.75) -> bool:
    """Whether `text` asks what an earlier interviewer line already asked."""
    return any(similarity(text, e) >= threshold for e in earlier)
