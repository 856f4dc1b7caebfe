"""Judgments the report makes in code: the three objectives and what to practise next.

Both are derived from the evaluator's scores and flags plus the visible text signals in
evaluation.signals, and every verdict carries its reasons ("basis") so the user can see why.
A judgment with too little behind it says "not enough evidence" instead of guessing.
"""

from __future__ import annotations

from collections import Counter
from statistics import mean

from interviewer.evaluation import signals as sig
from interviewer.report.model import AnswerScore, DimensionSummary, Objective, PracticeItem, Verdict

NOT_STORIES = frozenset({"opening", "your_questions", "close"})  # phases that are not stories
# Nor told as one: "tell me about yourself" is a career summary, so it is never the answer a SARL
# drill names or a SARL rewrite retells (an extractive one once cast a later incident's problem
# as the introduction's "result").
NOT_SARL = NOT_STORIES | {"about_you"}
STRONG, DEVELOPING = 3.75, 2.75  # objective thresholds on the 1-5 scale
MIN_SCORED = 2  # fewer scored answers than this: no objective verdicts


def _verdict(value: float) -> Verdict:
    if value >= STRONG:
        return "strong"
    if value >= DEVELOPING:
        return "developing"
    return "needs work"


def _flag_count(answers: list[AnswerScore], flag: str) -> int:
    return sum(1 for a in answers if flag in a.flags)


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def n_of(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def objectives(
    answers: list[AnswerScore], dims: dict[str, DimensionSummary], questions: list[str]
) -> list[Objective]:
    scored = [a for a in answers if a.mean is not None]
    texts = [a.answer for a in answers]
    enough = len(scored) >= MIN_SCORED
    short = f"only {n_of(len(scored), 'answer')} could be scored" if not enough else ""
    honesty = dims["honesty"].mean
    story = dims["storytelling"].mean
    root = dims["root_cause"].mean
    out: list[Objective] = []

    # -- rapport ----------------------------------------------------------------------------------
    basis: list[str] = []
    asked_back = sig.count(sig.QUESTION_BACK, texts)
    invited = [a for a in answers if a.phase == "your_questions"]
    if not enough or honesty is None:
        out.append(Objective(key="rapport", title="Rapport", verdict="not enough evidence",
                             basis=[short or "honesty was not scored"]))
    else:
        value = honesty
        basis.append(f"honesty / authenticity averaged {_fmt(honesty)} of 5")
        if asked_back:
            value += 0.5
            basis.append(f"you asked the interviewer questions back in {n_of(asked_back, 'answer')} (+0.5)")
        elif invited:
            value -= 0.5
            basis.append("when invited, you asked the interviewer no questions (-0.5)")
        else:
            basis.append("you asked no questions back (the interview did not reach that point)")
        distancing = _flag_count(scored, "overclaiming") + _flag_count(scored, "blame_shifting")
        if distancing:
            value -= 0.5
            basis.append(f"{n_of(distancing, 'answer')} overclaimed or shifted blame (-0.5)")
        basis.append("warmth and humour are not judged from text")
        out.append(Objective(key="rapport", title="Rapport", verdict=_verdict(value), basis=basis))

    # -- demonstrated value ------------------------------------------------------------------------
    basis = []
    parts = [m for m in (story, root) if m is not None]
    if not enough or not parts:
        out.append(Objective(key="demonstrated_value", title="Demonstrated value",
                             verdict="not enough evidence",
                             basis=[short or "storytelling and root cause were not scored"]))
    else:
        value = mean(parts)
        basis.append(f"storytelling and root-cause understanding averaged {_fmt(value)} of 5")
        quantified = sig.count(sig.QUANTIFIED_IMPACT, texts)
        if quantified:
            value += 0.5
            basis.append(f"{n_of(quantified, 'answer')} put a number on the impact (+0.5)")
        else:
            basis.append("no answer put a number on the impact (time, money, users)")
        missing = _flag_count(scored, "no_result_or_numbers")
        if missing * 2 >= len(scored):
            value -= 0.5
            basis.append(f"{missing} of {len(scored)} scored answers had no result or number (-0.5)")
        out.append(Objective(key="demonstrated_value", title="Demonstrated value",
                             verdict=_verdict(value), basis=basis))

    # -- trajectory of growth ------------------------------------------------------------------------
    basis = []
    lessons = sig.count(sig.LESSON, texts)
    owned = sig.count(sig.OWNS_MISTAKE, texts)
    no_lesson = _flag_count(scored, "no_lesson")
    invited_growth = any(sig.ASKS_FOR_GROWTH.search(q) for q in questions)
    if not enough or honesty is None:
        out.append(Objective(key="trajectory_of_growth", title="Trajectory of growth",
                             verdict="not enough evidence", basis=[short or "honesty was not scored"]))
    elif not (lessons or owned or invited_growth):
        out.append(Objective(
            key="trajectory_of_growth", title="Trajectory of growth", verdict="not enough evidence",
            basis=["no question asked about a mistake or a lesson, and no answer offered one"]))
    else:
        value = honesty
        basis.append(f"honesty / authenticity averaged {_fmt(honesty)} of 5")
        if lessons:
            value += 0.5
            basis.append(f"{n_of(lessons, 'answer')} stated a lesson (+0.5)")
        if owned:
            value += 0.5
            basis.append(f"{n_of(owned, 'answer')} owned a mistake or a gap (+0.5)")
        if not lessons and not owned:
            value -= 0.5
            basis.append("asked about mistakes or lessons, no answer named one (-0.5)")
        if no_lesson * 2 >= len(scored):
            value -= 0.5
            basis.append(f"{no_lesson} of {len(scored)} scored answers had no lesson (-0.5)")
        out.append(Objective(key="trajectory_of_growth", title="Trajectory of growth",
                             verdict=_verdict(value), basis=basis))
    return out


# -- what to practise next ---------------------------------------------------------------------------
DIMENSION_DRILLS: dict[str, tuple[str, str]] = {
    "storytelling": (
        "Tell it as Situation, Action, Result, Lesson",
        "Retell your answer to \u201c{question}\u201d in under two minutes: one sentence of situation, "
        "what you did with \u201cI\u201d, the result with a number, and the lesson.",
    ),
    "root_cause": (
        "Explain the cause, how you found it, and what stops it recurring",
        "For your answer to \u201c{question}\u201d, write down the mechanism behind the problem, the "
        "evidence that showed it (log, profile, graph, reproduction), and the guard you added.",
    ),
    "honesty": (
        "Own the gaps and your exact part",
        "Prepare one real mistake and one thing you don't know yet, each with how you are "
        "learning it; in your answer to \u201c{question}\u201d, say which part was yours and which the team's.",
    ),
}
FLAG_DRILLS: dict[str, tuple[str, str]] = {
    "no_result_or_numbers": (
        "Put a number on every result",
        "Before your next session, write the one number behind each of your three best stories "
        "(minutes saved, error rate, money, users). If you don't know it, say how you'd estimate it.",
    ),
    "no_lesson": (
        "End every story with the lesson",
        "Add one closing sentence to each story: \u201cWhat I learned was \u2026, and now I \u2026\u201d.",
    ),
    "we_not_i": (
        "Say \u201cI\u201d for what you did",
        "Retell one team story and mark each sentence as yours or the team's; keep \u201cwe\u201d "
        "only for the team's part.",
    ),
    "overclaiming": (
        "Replace claims with proof",
        "Swap each \u201cexpert\u201d or \u201cI led everything\u201d for one concrete thing you did "
        "and its result.",
    ),
    "blame_shifting": (
        "Own your part of what went wrong",
        "For one incident you mentioned, say first what you could have done differently, "
        "before what others did.",
    ),
    "injection_attempt": (
        "Answer the interviewer, not the grader",
        "Text addressed to the scoring was ignored and counted against honesty; spend those "
        "words on your story instead.",
    ),
}
FLAG_LABELS = {
    "no_result_or_numbers": "no result or number",
    "no_lesson": "no lesson",
    "we_not_i": "\u201cwe\u201d instead of \u201cI\u201d",
    "overclaiming": "overclaiming",
    "blame_shifting": "blame shifting",
    "injection_attempt": "instructions to the grader",
}
PRACTICE_LIMIT = 3
GOOD_ENOUGH = 4.0  # a dimension averaging this or more needs no drill


def practice(answers: list[AnswerScore], dims: list[DimensionSummary]) -> list[PracticeItem]:
    """At most three drills: the weakest dimension first, then the most frequent flags."""
    scored = [a for a in answers if a.mean is not None]
    if not scored:
        return []
    weak_dims = sorted(
        (d for d in dims if d.mean is not None and d.mean < GOOD_ENOUGH),
        key=lambda d: (d.mean, d.dimension),
    )
    flags = Counter(f for a in scored for f in a.flags if f in FLAG_DRILLS)
    ordered_flags = sorted(flags.items(), key=lambda kv: (-kv[1], kv[0]))

    def dim_item(d: DimensionSummary) -> PracticeItem:
        title, how = DIMENSION_DRILLS[d.dimension]
        rated = [a for a in scored if a.scores.get(d.dimension) is not None]
        # Small talk and the candidate's own questions make poor drill material.
        stories = [a for a in rated if a.phase not in NOT_SARL] or rated
        worst = min(stories, key=lambda a: (a.scores[d.dimension], a.number))
        why = (f"{d.title} averaged {d.mean:.1f} of 5; your weakest here was answer "
               f"{worst.number} (scored {worst.scores[d.dimension]}).")
        return PracticeItem(title=title, why=why, how=how.format(question=_short(worst.question)))

    def flag_item(flag: str, n: int) -> PracticeItem:
        title, how = FLAG_DRILLS[flag]
        why = f"Flagged \u201c{FLAG_LABELS[flag]}\u201d in {n} of {len(scored)} scored answers."
        return PracticeItem(title=title, why=why, how=how)

    items: list[PracticeItem] = []
    if weak_dims:
        items.append(dim_item(weak_dims[0]))
    items += [flag_item(f, n) for f, n in ordered_flags]
    items += [dim_item(d) for d in weak_dims[1:]]
    unique: list[PracticeItem] = []
    for item in items:
        if all(item.title != kept.title for kept in unique):
            unique.append(item)
    if not unique:
        unique = [PracticeItem(
            title="Keep the bar where it is, and shorten",
            why="Every scored dimension averaged 4 or more and no answer was flagged.",
            how="Practise the same stories at half the length: two minutes each, the number and "
                "the lesson kept.")]
    return unique[:PRACTICE_LIMIT]


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "\u2026"
