"""Session -> Report. Reads only the session (and earlier sessions for progress), never Chainlit.

Rules the whole report keeps:
- an evaluation that is not `ok` (pending or unavailable) is shown as "unavailable" and counted
  in no mean, no trend and no verdict; so is a dimension the answer's question does not assess
  (Session.assessed), shown as "not assessed";
- every quote shown as evidence is checked to occur verbatim in the answer it is attributed to;
- rewrites contain no number or name the candidate did not say (see interviewer/rewrite.py).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from difflib import SequenceMatcher
from statistics import mean

from langchain_core.language_models import BaseChatModel

from interviewer.evaluation.scorer import scorer_notes
from interviewer.report.advice import NOT_SARL, NOT_STORIES, objectives, practice
from interviewer.report.consistency_section import consistency, honesty_notes
from interviewer.report.model import (
    UNAVAILABLE,
    AnswerScore,
    DimensionSummary,
    Highlight,
    ProbeNote,
    Quote,
    Report,
    Rewrite,
    TranscriptEntry,
)
from interviewer.report.progress import progress
from interviewer.report.rewrite import rewrite_answer, split_sentences, without_injection
from interviewer.report.rubric_view import RubricView, load_rubric_view
from interviewer.report.text import cell
from interviewer.session import DIMENSIONS, EvalStatus, Session, Turn, TurnKind

DIMS = [d.value for d in DIMENSIONS]
TREND_STEP = 0.5  # second-half mean minus first-half mean needed to call a trend
MAX_WEAKEST = 3


# -- small helpers ------------------------------------------------------------------------------------
def _norm(text: str) -> str:
    return " ".join(re.sub(r"[\"“”‘’'`]", "", text).lower().split())


def _overlaps(a: str, b: str) -> bool:
    """Two quotes mostly covering the same words (evaluators quote one sentence per dimension)."""
    x, y = _norm(a), _norm(b)
    match = SequenceMatcher(None, x, y, autojunk=False).find_longest_match(0, len(x), 0, len(y))
    return match.size >= 0.6 * min(len(x), len(y))


def verified_quotes(quotes: list[str], answer: str) -> list[str]:
    """Keep only quotes that really occur in the answer (ellipses split a quote into pieces)."""
    haystack = _norm(answer)
    kept: list[str] = []
    for quote in quotes:
        pieces = [p.strip(" .,;:") for p in re.split(r"\.\.\.|…", quote)]
        pieces = [_norm(p) for p in pieces if p.strip(" .,;:")]
        if pieces and all(p in haystack for p in pieces) and quote.strip() not in kept:
            kept.append(quote.strip())
    return kept


def persona_name(persona_id: str) -> str:
    """A readable persona name; the persona files are consulted when they load."""
    try:
        from interviewer.interview.personas import PersonaLibrary

        return PersonaLibrary.load().get(persona_id).name
    except Exception:  # noqa: BLE001 - a name is cosmetic; never fail a report over it
        words = persona_id.replace("_", "-").split("-")
        return " ".join([words[0].capitalize(), *words[1:]]) if words and words[0] else persona_id


def _speaker(turn: Turn, names: dict[str, str]) -> str:
    if turn.role == "candidate":
        return "You"
    if turn.role == "system":
        return "Notice"
    if turn.speaker is not None:
        return f"{turn.speaker.name} ({turn.speaker.role})" if turn.speaker.role else turn.speaker.name
    return names.get(turn.persona, "Interviewer") if turn.persona else "Interviewer"


def _score_line(answer: AnswerScore) -> str:
    if answer.status != "ok":
        return UNAVAILABLE
    return " · ".join(f"{d.replace('_', ' ')} {cell(answer, d)}" for d in DIMS)


# -- answers ------------------------------------------------------------------------------------------
def _answers(session: Session, rubric: RubricView) -> list[AnswerScore]:
    phases = {item.id: item.phase for item in session.plan}
    out: list[AnswerScore] = []
    for number, turn in enumerate(session.answers(), start=1):
        question = session.question_for(turn)
        qid = turn.question_id or (question.question_id if question else None)
        dims = session.assessed(turn)
        assessed = [d.value for d in dims]
        ev = turn.evaluation.only(dims) if turn.evaluation else None
        ok = ev is not None and ev.status is EvalStatus.OK
        scores: dict[str, int | None] = {d: (ev.score(d) if ok and ev else None) for d in DIMS}
        present = [s for s in scores.values() if s is not None]
        evidence = (
            {d: q for d in DIMS if (q := verified_quotes(ev.evidence.get(d, []), turn.text))}
            if ok and ev else {}
        )
        out.append(AnswerScore(
            number=number,
            turn_id=turn.id,
            question=question.text if question else "",
            question_kind=question.kind.value if question else "",
            phase=phases.get(qid or "", ""),
            answer=turn.text,
            # Small talk the engine never sent to the evaluator is not a failed evaluation.
            status="ok" if ok or not assessed else "unavailable",
            scores=scores if ok else {d: None for d in DIMS},
            levels={d: rubric.level_description(d, s) for d, s in scores.items() if ok and s is not None},
            evidence=evidence,
            rationale=dict(ev.rationale) if ok and ev else {},
            flags=list(ev.flags) if ok and ev else [],
            mean=round(mean(present), 2) if ok and present else None,
            assessed=assessed,
        ))
    return out


def _trend(values: list[int]) -> tuple[str, float | None]:
    if len(values) < 3:
        return "not enough evidence", None
    half = len(values) // 2
    first, second = values[:half], values[-half:]
    delta = round(mean(second) - mean(first), 2)
    if delta >= TREND_STEP:
        return "improving", delta
    if delta <= -TREND_STEP:
        return "declining", delta
    return "steady", delta


def _dimensions(answers: list[AnswerScore], rubric: RubricView) -> list[DimensionSummary]:
    out: list[DimensionSummary] = []
    for dim in DIMS:
        per_answer = [a.scores[dim] for a in answers]
        values = [v for v in per_answer if v is not None]
        avg = round(mean(values), 2) if values else None
        level = int(avg + 0.5) if avg is not None else None
        trend, delta = _trend(values)
        # Evidence from the best and the worst answer on this dimension: what to keep, what to fix.
        quotable = [a for a in answers if a.scores[dim] is not None and a.evidence.get(dim)]
        quotable = [a for a in quotable if a.phase not in NOT_STORIES] or quotable
        ranked = sorted(quotable, key=lambda a: (-(a.scores[dim] or 0), a.number))
        picks = ranked[:1] + ranked[-1:] if len(ranked) > 1 else ranked
        quotes = [Quote(answer=a.number, text=q) for a in picks for q in a.evidence[dim][:1]]
        out.append(DimensionSummary(
            dimension=dim,
            title=rubric.title(dim),
            mean=avg,
            level=level,
            level_description=rubric.level_description(dim, level) if level else UNAVAILABLE,
            per_answer=per_answer,
            scored=len(values),
            trend=trend,  # type: ignore[arg-type]
            trend_delta=delta,
            anchors=rubric.anchors.get(dim, {}),
            quotes=quotes,
        ))
    return out


def _highlight_quotes(answer: AnswerScore) -> list[str]:
    quotes = [q for d in DIMS for q in answer.evidence.get(d, [])]
    if not quotes:
        sentences = split_sentences(answer.answer)
        quotes = sentences[:1]
    # Longest first, so a quote contained in another (from a second dimension) is dropped.
    kept: list[str] = []
    for quote in sorted(quotes, key=len, reverse=True):
        if not any(_overlaps(quote, k) for k in kept):
            kept.append(quote)
    return sorted(kept, key=quotes.index)[:3]


def _why(answer: AnswerScore, best: bool, rubric: RubricView) -> str:
    dims = [d for d in DIMS if answer.scores[d] is not None]
    dim = max(dims, key=lambda d: answer.scores[d] or 0) if best else min(dims, key=lambda d: answer.scores[d] or 0)
    return f"{rubric.title(dim)} {answer.scores[dim]} of 5: {answer.levels.get(dim, '')}".strip()


def _highlights(answers: list[AnswerScore], rubric: RubricView) -> tuple[list[Highlight], list[AnswerScore]]:
    scored = [a for a in answers if a.mean is not None]
    stories = [a for a in scored if a.phase not in NOT_STORIES and a.question_kind != "reprompt"] or scored
    ranked = sorted(stories, key=lambda a: (-(a.mean or 0), a.number))
    if not ranked:
        return [], []
    strongest = ranked[: 2 if len(ranked) >= 5 else 1]
    rest = [a for a in reversed(ranked) if a not in strongest and (a.mean or 0) < 4.0]
    weakest = rest[: min(MAX_WEAKEST, len(ranked) - len(strongest))]
    best = [Highlight(number=a.number, question=a.question, mean=a.mean or 0, why=_why(a, True, rubric),
                      quotes=_highlight_quotes(a)) for a in strongest]
    return best, weakest


async def rewrites(
    session: Session, weakest: list[AnswerScore], rewriter: BaseChatModel | None,
    on_done: Callable[[int], Awaitable[None]] | None = None,
) -> list[Rewrite]:
    """SARL rewrites of the weakest answers, one per question thread; `on_done(k)` after each."""
    turns = session.answers()
    # What counts as "said": every answer, minus text aimed at the grader ("give me 5/5").
    all_text = "\n".join(without_injection(t.text) for t in turns)
    done: set[str] = set()
    out: list[Rewrite] = []
    for answer in weakest:
        if answer.phase in NOT_SARL:
            continue
        turn = turns[answer.number - 1]
        qid = turn.question_id or _qid(session, turn)
        thread = [t for t in turns if qid and (t.question_id or _qid(session, t)) == qid] or [turn]
        key = qid or turn.id
        if key in done:
            continue
        done.add(key)
        outcome = await rewrite_answer(answer.question, [t.text for t in thread], all_text, rewriter)
        out.append(Rewrite(
            number=answer.number,
            question=answer.question,
            original=answer.answer,
            **outcome.sarl.parts(),
            source=outcome.source,  # type: ignore[arg-type]
            material=[turns.index(t) + 1 for t in thread],
            placeholders=outcome.sarl.placeholders,
            note=outcome.note,
        ))
        if on_done is not None:
            await on_done(len(out))
    return out


def _qid(session: Session, turn: Turn) -> str | None:
    question = session.question_for(turn)
    return question.question_id if question else None


def _probes(session: Session, names: dict[str, str]) -> list[ProbeNote]:
    out: list[ProbeNote] = []
    answered = 0
    for turn in session.turns:
        if turn.role == "candidate":
            answered += 1
        elif turn.kind is TurnKind.PROBE:
            out.append(ProbeNote(
                after_answer=answered or None,
                question=turn.text,
                speaker=_speaker(turn, names),
                reason=turn.probe_reason or "no reason recorded",
                kind=turn.probe_kind or "",
                target_dimension=turn.target_dimension.value if turn.target_dimension else "",
            ))
    return out


def _transcript(session: Session, answers: list[AnswerScore], rubric: RubricView,
                names: dict[str, str]) -> list[TranscriptEntry]:
    switches: dict[int, list[str]] = {}
    for index, persona in session.persona_changes:
        switches.setdefault(index, []).append(persona)
    by_id = {a.turn_id: a for a in answers}
    out: list[TranscriptEntry] = []
    for index, turn in enumerate(session.turns):
        # The engine may announce a switch with its own notice turn; don't say it twice.
        announced = any(t.role == "system" for t in session.turns[max(index - 1, 0): index + 1])
        for persona in switches.get(index, []):
            if not announced:
                out.append(TranscriptEntry(index=index, role="system", kind="persona_switch",
                                           speaker="Notice", persona=persona,
                                           text=f"Interviewer changed to {names.get(persona, persona)}."))
        answer = by_id.get(turn.id)
        out.append(TranscriptEntry(
            index=index,
            role=turn.role,
            kind=turn.kind.value,
            speaker=_speaker(turn, names),
            text=turn.text,
            persona=turn.persona,
            answer_number=answer.number if answer else None,
            probe_reason=turn.probe_reason if turn.kind is TurnKind.PROBE else None,
            score_line=_score_line(answer) if answer else "",
            spoken=turn.spoken,
        ))
    return out


# -- the whole report -----------------------------------------------------------------------------------
async def build_report(
    session: Session,
    previous: Sequence[Session] = (),
    rewriter: BaseChatModel | None = None,
) -> Report:
    """The feedback report for one session (see the module docstring for the rules it keeps)."""
    rubric = load_rubric_view()
    persona_ids = list(dict.fromkeys([t.persona for t in session.turns if t.persona] or [session.persona]))
    for _, p in session.persona_changes:
        persona_ids = list(dict.fromkeys([*persona_ids, p]))
    names = {p: persona_name(p) for p in persona_ids}
    answers = _answers(session, rubric)
    dims = _dimensions(answers, rubric)
    checked = consistency(session)
    for dim in dims:  # credit for a contradiction cleared up when asked (scores unchanged)
        dim.notes = honesty_notes(checked) if dim.dimension == "honesty" else []
    best, weakest_answers = _highlights(answers, rubric)
    weakest = [Highlight(number=a.number, question=a.question, mean=a.mean or 0,
                         why=_why(a, False, rubric), quotes=_highlight_quotes(a)) for a in weakest_answers]
    questions = [t.text for t in session.questions()]
    flags_seen = sorted({f for a in answers for f in a.flags})
    notes: list[str] = []
    unavailable = sum(1 for a in answers if a.status != "ok")
    unjudged = sum(1 for a in answers if a.status == "ok" and a.mean is None and a.assessed)
    unassessed = sum(1 for a in answers if not a.assessed)
    if not answers:
        notes.append("No answers yet: there is nothing to score.")
    elif unavailable:
        notes.append(f"{unavailable} of {len(answers)} answers could not be scored (the evaluator was "
                     "unavailable or had not finished); they show as unavailable and count in no average.")
    if unjudged:
        notes.append(f"{unjudged} of {len(answers)} answers gave the evaluator nothing to judge "
                     "(too short or off-topic); they show as not judged.")
    if unassessed:
        notes.append(f"{unassessed} of {len(answers)} answers were small talk, your own questions or a goodbye; "
                     "they are not scored.")
    if rubric.problem:
        notes.append(f"Level descriptions are missing ({rubric.problem}).")
    notes += scorer_notes(t.evaluation.scorer for t in session.turns if t.evaluation is not None)
    return Report(
        session_id=session.id,
        user_id=session.user_id,
        session_date=session.created_at,
        personas=[names[p] for p in persona_ids],
        role=session.context.role,
        level=session.context.level,
        dimensions=dims,
        answers=answers,
        objectives=objectives(answers, {d.dimension: d for d in dims}, questions),
        strongest=best,
        weakest=weakest,
        probes=_probes(session, names),
        rewrites=await rewrites(session, weakest_answers, rewriter),
        practice=practice(answers, dims),
        progress=progress(session, previous, rubric),
        transcript=_transcript(session, answers, rubric, names),
        consistency=checked,
        flags={f: rubric.flags.get(f, "") for f in flags_seen},
        notes=notes,
    )
