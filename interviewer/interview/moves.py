"""Building the next move: probe or move on, who on the panel asks, and the task for the model.

Code decides every move (a 1.5B model never chose to move on by itself); the model only phrases
it. A Move carries what to tell the model, what to say verbatim around it, the template phrasings
to fall back on, and the state change to apply once the line exists.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from interviewer.interview import listening, reconcile
from interviewer.interview.cleanup import Mode, question_part, sanitize, sentences, thread_text
from interviewer.interview.personas import Member, Persona, adjust_probing
from interviewer.interview.plan import BankQuestion, QuestionBank
from interviewer.interview.policy import RECONCILE, STEERING_KINDS, Decision, decide
from interviewer.interview.probe_head import KindReading
from interviewer.interview.reading import Request, thread_for_reading
from interviewer.prompt_templates import load_prompt
from interviewer.session import EvalStatus, Inconsistency, PlanItem, Session, Speaker, Turn, TurnKind
from interviewer.tokens import count_tokens

# Kinds that ask the current question again, on purpose (with a few words of their own before
# it): the policy's steering kinds, one vocabulary.
REASK_KINDS = STEERING_KINDS
STORY_WORDS = 6  # words of an earlier story quoted in a question's note
ABOUT_WORDS = 4  # words of the answer a follow-up's note quotes
MAX_CANDIDATE_QUESTIONS = 2  # answered in the "do you have questions for me?" phase
ASKS_QUESTION = re.compile(
    r"\?|^\s*(?:what|how|why|who|when|where|which|is|are|do|does|can|could|would|will|should)\b", re.I
)



@dataclass
class Move:
    """One interviewer line to produce: what to tell the model and what to record afterwards."""

    kind: TurnKind
    mode: Mode
    task: str
    speaker: Member
    item: PlanItem | None
    fallbacks: list[str]
    prefix: str = ""  # said verbatim before the model's words (greeting, panellist intro)
    private: list[str] = field(default_factory=list)  # text that must never be echoed
    decision: Decision | None = None
    reading: KindReading | None = None  # the reader's reading the decision used (decided again on a skip)
    apply: Callable[[], None] = lambda: None  # state changes, run only once the line exists
    allow_repeat: bool = False
    lead: bool = True  # keep a short lead-in sentence before the question (not on the first turn)
    on_target: Callable[[str], bool] = lambda _text: True  # does the phrasing ask what was decided?
    target_in_lead: bool = False  # on_target reads the whole line (a reconcile quotes in its lead-in)
    # The task may exceed the note's token budget (prompt_assembly.NOTE_TOKENS): a reconcile's two quotes
    # are the whole point, and it is asked at most once per contradiction, so the few extra
    # tokens read after Enter are worth it.
    whole_task: bool = False
    # The id the turn will have: known before the line exists, so `apply` can point at it.
    turn_id: str = field(default_factory=lambda: uuid.uuid4().hex)



class Moves:
    """Builds moves for one question bank; holds no session state."""

    def __init__(self, bank: QuestionBank) -> None:
        self.bank = bank

    def thread(self, session: Session, item: PlanItem) -> list[Turn]:
        return [t for t in session.turns if t.question_id == item.id]

    def probe(self, session: Session, persona: Persona, item: PlanItem, reading: KindReading | None = None) -> Move | None:
        """The follow-up to ask on `item` now, or None to move on (policy.decide; `reading` is
        the reader's reading of this question's answers, interview/reading.py)."""
        thread = self.thread(session, item)
        answers = [t for t in thread if t.role == "candidate"]
        if not answers:
            return None
        # Probe kinds already used (or skipped as repeats) on this question are never used again.
        done = [t.probe_kind for t in thread if t.probe_kind and t.role != "candidate"]
        question = self.bank_question(item)
        # Only evaluations that have already landed (the policy never waits for the evaluator), on
        # the dimensions their questions assess: root cause 1 on small talk is no weakness.
        landed = [t.evaluation.only(session.assessed(t)) for t in session.answers()
                  if t.evaluation and t.evaluation.status is EvalStatus.OK]
        said = thread_text(t.text for t in answers)
        latest = sanitize(answers[-1].text)
        # Listening: a pleasantry, or an answer to a different planned question (policy rules 2-3).
        small_talk = listening.is_small_talk(latest)
        other = None if small_talk else listening.other_topic(self.bank, item, latest)
        finding = reconcile.pending(session)  # two facts that disagree (policy rule 10)
        decision = decide(
            small_talk=small_talk,
            other_topic=other,
            contradiction=reconcile.reason(finding, session) if finding else None,
            thread_text=said,
            latest=latest,
            question=question,
            probing=adjust_probing(persona.probing, session.probing_depth),
            probes_done=done,
            bank=self.bank,
            evaluations=landed,
            reading=reading,
        )
        if not decision.probe or decision.kind is None:
            return None
        if decision.kind == RECONCILE and finding is not None:
            return self.reconcile(session, persona, item, decision, finding)
        speaker = self.speaker(persona, item, decision)
        kind = decision.kind
        spec = self.bank.probes[kind]
        fallbacks = self.probe_fallbacks(session, persona, item, kind)
        # A re-ask's example is the question itself: the persona's lead-ins are long for the note,
        # and a lead-in with the question cut to "…" was copied, "…" and all, by the model.
        examples = [self.asked_question(session, item)] if kind in REASK_KINDS else fallbacks
        example = examples[0] if examples else ""
        # The answer is the line right above the note; its first words are quoted so the model
        # follows up on it and not on an earlier story (the note is re-read after Enter: short).
        quoted = " ".join([*latest.split()[:ABOUT_WORDS], "…"]).replace('"', "'")
        about = "" if kind in REASK_KINDS else f' on "{quoted}"'  # a re-ask is about the question
        task = load_prompt("interviewer_task_probe").render(about=about, example=example)
        prefix = ""
        if kind == "small_talk":  # the human reply is said as is; the model re-asks the question
            replies = persona.phrases.asked_back_reply if listening.asked_back(latest) else persona.phrases.small_talk_reply
            prefix = replies[0]

        def apply() -> None:
            item.probes += 1

        return Move(
            kind=TurnKind.PROBE,
            mode="question",
            task=task,
            speaker=speaker,
            item=item,
            fallbacks=fallbacks,
            private=[spec.instruction, decision.reason],
            decision=decision,
            reading=reading,
            apply=apply,
            prefix=prefix,
            allow_repeat=kind in REASK_KINDS,
            lead=kind != "small_talk",
            # A redirect must re-ask the dodged question, not wander off to a new topic.
            on_target=(lambda text: on_topic(text, question)) if kind in REASK_KINDS else (
                lambda text: spec.accepts(text) and not listening.drifted(text, [latest, example], session, item.id)),
        )

    def reconcile(
        self, session: Session, persona: Persona, item: PlanItem, decision: Decision, finding: Inconsistency
    ) -> Move:
        """ "Earlier you said a team of four; now forty. Which is it?": both short quotes go to the
        model, and the persona's template (with both quotes) is the fallback."""
        spec = self.bank.probes[RECONCILE]
        templates = list(persona.phrases.probes.get(RECONCILE, [])) or [spec.fallback]
        fallbacks = [reconcile.fill(t, finding, session) for t in templates]
        where = reconcile.where(finding.contradiction.earlier, session)
        task = load_prompt("interviewer_task_reconcile").render(
            where=where, earlier=finding.earlier_quote.replace('"', "'"),
            new=finding.new_quote.replace('"', "'"), example=fallbacks[0],
        )
        turn_id = uuid.uuid4().hex

        def apply() -> None:
            item.probes += 1
            finding.probe_turn_id = turn_id

        return Move(
            kind=TurnKind.PROBE,
            mode="question",
            task=task,
            speaker=self.speaker(persona, item, decision),
            item=item,
            fallbacks=fallbacks,
            private=[spec.instruction, decision.reason],
            decision=decision,
            apply=apply,
            on_target=reconcile.on_target(finding),
            target_in_lead=True,
            whole_task=True,
            # Its question part is always "Which is it?"; the quotes make each one new, and
            # on_target already rejects a line that does not quote both facts.
            allow_repeat=True,
            turn_id=turn_id,
        )

    def asked_question(self, session: Session, item: PlanItem) -> str:
        """The question as it was asked for `item` (the bank's when it was not asked yet)."""
        asked = next(
            (t.text for t in session.turns if t.question_id == item.id and t.kind is TurnKind.QUESTION),
            self.bank_question(item).question,
        )
        return question_part(asked)

    def probe_fallbacks(self, session: Session, persona: Persona, item: PlanItem, kind: str) -> list[str]:
        """The persona's templates for `kind` (else the probe file's), with the question filled in."""
        question = self.asked_question(session, item)
        if kind == "small_talk":
            return [question]  # the reply is the move's prefix
        spec = self.bank.probes[kind]
        templates = list(persona.phrases.redirect if kind == "redirect" else persona.phrases.probes.get(kind, []))
        templates = templates or ([spec.fallback] if spec.fallback else [])  # a persona file older than the kind
        return [fill(p, question) for p in templates]

    def candidate_question(self, session: Session, persona: Persona, item: PlanItem) -> Move | None:
        thread = self.thread(session, item)
        answers = [t for t in thread if t.role == "candidate"]
        replies = [t for t in thread if t.role == "interviewer" and t.kind is TurnKind.QUESTION][1:]
        latest = sanitize(answers[-1].text) if answers else ""
        if not latest or not ASKS_QUESTION.search(latest) or len(replies) >= MAX_CANDIDATE_QUESTIONS:
            return None  # no (more) questions from the candidate: close the interview
        return Move(
            kind=TurnKind.QUESTION,
            mode="answer",
            task=load_prompt("interviewer_task_answer").render(),  # their question is the line above
            speaker=self.speaker(persona, item, None),
            item=item,
            fallbacks=list(persona.phrases.answer_fallback),
            allow_repeat=True,
        )

    def advance(self, session: Session, persona: Persona) -> Move:
        """The next planned question the candidate has not already answered (listening first)."""
        index = session.position + 1
        skipped: list[tuple[PlanItem, listening.Coverage]] = []
        while index < len(session.plan):
            covered = listening.covering(session, self.bank, session.plan[index])
            if covered is None:
                break
            skipped.append((session.plan[index], covered))
            index += 1
        if index >= len(session.plan) or session.plan[index].phase == "close":
            close = session.plan[index] if index < len(session.plan) else None
            move = self.closing(session, persona, close)
        else:
            move = self.question(session, persona, session.plan[index])
        said = [self.bridge(session, persona)]
        if skipped:
            said.append(persona.phrases.acknowledge[0].replace("{fragment}", skipped[0][1].fragment))
        move.prefix = " ".join(p for p in [*said, move.prefix] if p)
        if move.prefix:
            move.lead = False  # code already said something specific: no model lead-in on top
        apply = move.apply

        def apply_with_skips() -> None:
            for item, covered in skipped:
                item.skipped = covered.reason
            apply()

        move.apply = apply_with_skips
        return move

    def bridge(self, session: Session, persona: Persona) -> str:
        """A human reply to small talk answered to the opening question ("" otherwise)."""
        current = self.current_item(session)
        answers = [t for t in session.answers() if current is not None and t.question_id == current.id]
        if current is None or current.phase != "opening" or not answers:
            return ""
        latest = sanitize(answers[-1].text)
        if listening.asked_back(latest):
            return persona.phrases.asked_back_reply[0]
        return persona.phrases.small_talk_reply[0] if listening.has_pleasantry(latest) else ""

    def question(self, session: Session, persona: Persona, item: PlanItem, first: bool = False) -> Move:
        question = self.bank_question(item)
        story = self.earlier_story(session) if question.uses_story else ""
        said = None if story else listening.touched(session, self.bank, item)
        hint = (f', about their story "{story} …"' if story else
                f', building on their words "{note_words(said.fragment)} …"' if said else "")
        # Connecting questions to the resume or job description is a standing rule in the system
        # prompt (when either is given), not repeated in every note.
        prefix = persona.phrases.greeting[0] if first else ""
        index = session.plan.index(item)

        def apply() -> None:
            session.position = index
            item.asked = True

        return Move(
            kind=TurnKind.QUESTION,
            mode="question",
            task=load_prompt("interviewer_task_question").render(question=question.question, hint=hint),
            on_target=lambda text: on_topic(text, question),
            speaker=self.speaker(persona, item, None),
            item=item,
            fallbacks=[question.question],
            prefix=prefix,
            apply=apply,
            lead=not first,
        )

    def closing(self, session: Session, persona: Persona, close: PlanItem | None) -> Move:
        def apply() -> None:
            if close is not None:
                session.position = session.plan.index(close)
                close.asked = True
            session.finished = True

        speaker = self.speaker(persona, close, None) if close else persona.interviewers[0]
        return Move(
            kind=TurnKind.CLOSING,
            mode="closing",
            task=load_prompt("interviewer_task_close").render(),
            speaker=speaker,
            item=close,
            fallbacks=list(persona.phrases.closing),
            apply=apply,
            allow_repeat=True,
        )

    def current_item(self, session: Session) -> PlanItem | None:
        if 0 <= session.position < len(session.plan):
            return session.plan[session.position]
        return None

    def reading_thread(self, session: Session, item: PlanItem | None, draft: str | None = None) -> Request | None:
        """What the reader reads to choose the follow-up on `item`, after the answers it builds on
        (a `uses_story` question builds on the story it was asked about)."""
        question = self.bank_question(item) if item else None
        story = self.story_turn(session) if question and question.uses_story else None
        earlier = [*(question.builds_on if question else ()), *([story.question_id] if story and story.question_id else [])]
        return thread_for_reading(session, item, draft, earlier)

    def bank_question(self, item: PlanItem) -> BankQuestion:
        try:
            return self.bank.question(item.id)
        except KeyError:  # a plan from an older bank: ask its topic as is
            return BankQuestion(id=item.id, topic=item.topic, question=item.topic.rstrip(".") + "?")

    def speaker(self, persona: Persona, item: PlanItem | None, decision: Decision | None) -> Member:
        """Who speaks: the dimension's owner for a probe on a panel, else the question's owner."""
        if decision is not None and persona.is_panel and decision.kind != "redirect":
            owner = persona.owner_of(decision.dimension)
            if owner is not None:
                return owner
        if item is not None:
            member = persona.member(item.owner)
            if member is not None:
                return member
            members = persona.members_for_phase(item.phase)
            return members[0]
        return persona.interviewers[0]

    def last_speaker(self, session: Session) -> Speaker | None:
        for turn in reversed(session.turns):
            if turn.role == "interviewer" and turn.speaker is not None and turn.persona == session.persona:
                return turn.speaker
        return None

    @staticmethod
    def story_turn(session: Session) -> Turn | None:
        """The longest earlier answer to a deep-dive or behavioural question: the story a
        `uses_story` question digs into."""
        phases = {i.id: i.phase for i in session.plan}
        answers = [t for t in session.answers() if phases.get(t.question_id or "") in {"deep_dive", "behavioural"}]
        return max(answers, key=lambda t: count_tokens(sanitize(t.text))) if answers else None

    def earlier_story(self, session: Session) -> str:
        """The opening of the story_turn: technical questions dig into their own stories."""
        story = self.story_turn(session)
        if story is None:
            return ""
        first = sentences(sanitize(story.text))[:1]
        # A dozen words name the story; the story itself is in the transcript above the note.
        return note_words(" ".join(first))


def note_words(text: str) -> str:
    """The first STORY_WORDS words of `text`, as a note quotes them (inside double quotes)."""
    return " ".join(text.split()[:STORY_WORDS]).replace('"', "'")


def on_topic(text: str, question: BankQuestion) -> bool:
    """A rephrased main question must share a content word (stem) with the planned one, its
    topic or its keywords ("your current role" asks about current work as well as "right now")."""
    return bool(listening.stems(text) & listening.stems(" ".join([question.question, question.topic, *question.keywords])))


def fill(template: str, question: str) -> str:
    """`{question}` in a template; after a comma the question goes on the sentence in lower case."""
    before = template.split("{question}", 1)[0].rstrip()
    if before.endswith(",") and question[:2] != "I ":
        question = question[:1].lower() + question[1:]
    return template.replace("{question}", question)


def panel_speakers(turns: Sequence[Turn]) -> list[str]:
    """Distinct interviewer names in speaking order (used by tests and the report)."""
    names: list[str] = []
    for turn in turns:
        if turn.role == "interviewer" and turn.speaker and turn.speaker.name not in names:
            names.append(turn.speaker.name)
    return names
