"""Reading the answer for the follow-up choice (policy rule R), as far as possible while it is typed.

A read takes about 2 s on the evaluator's server on 2 cores, and that server may still be scoring
the previous answer, so a read started at Enter would delay the interviewer's first words by
seconds (benchmarks/bench_latency.py, pass scheduled_reader: 0.6 s -> 7 s with the evaluator
busy). The drafts the page hands to the prewarm (after a pause in typing) are read here too, one
read in flight per session and the newest draft waiting, and at Enter:
1. a finished reading of the answer as sent, or of a draft that is the answer but for its last few
   words (`covers`), is used at once;
2. else a read of a covering draft still in flight, or else a read of the answer as sent, is
   awaited at most `wait` seconds: 0 in the app for a typed answer (the first words never wait for
   a read: with a busy evaluator and a fast typist they would by 3 s), longer in a scripted
   rehearsal, and for a spoken answer, whose transcript is only known at mic off, a few seconds
   behind an acknowledgement said at once (`engine.reply`, Settings.spoken_read_wait);
3. else the reading came late (probe_head.NOT_READ): the text rules stand in, naming only the
   kinds whose reason they state reliably and otherwise asking the neutral follow-up
   (policy.trusted_gaps; so do they on remote backends, which have no reader).
Drafts are never stored beyond the session's last reading, and never leave the machine: only the
embedded evaluator's server reads them, as it will read the answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from interviewer.interview.cleanup import thread_text
from interviewer.interview.probe_head import NOT_READ, KindReader, KindReading
from interviewer.interview.plan import EVALUATED_PHASES
from interviewer.ledger.vocab import topic_words
from interviewer.session import PlanItem, Session
from interviewer.tokens import truncate_to_tokens

log = logging.getLogger(__name__)

Request = tuple[str, str]  # (question, every answer on it so far)
# A draft's reading stands for the answer when the answer only adds this many words (or a tenth of
# its words, if more) after the draft: the page sends a draft after a 700 ms pause, so what is
# typed after the last pause is usually the end of the last sentence.
NEAR_WORDS = 5
DRAFT_READ_TIMEOUT = 60.0  # nobody waits for a draft's read; a longer one is abandoned
# Finished readings kept (one per session at most): a chat left with a draft never sent keeps its
# reading until this many newer ones push it out, so a long-running server does not grow.
KEPT_READINGS = 256
# Earlier answers about the same work are read with the current one up to this many words in all
# (about 800 tokens, inside the answer budget of 1,200 that cuts from the end, so the current
# answer is never the part cut; a read takes time in proportion to its length).
CHAIN_WORDS = 600
# An answer to another main question tells the same story when their threads share at least this
# many content words (ledger.vocab.topic_words, the ledger's own "same thing" words). Chosen on one
# training author's 80 pairs written for it (training/probes/authors_retold/): 37 of 40 retold
# stories found, 5 of 40 different stories taken for the same (2: 40 and 15; 4: 29 and 2); on a
# second author's, written after the choice: 32 of 40 found, 10 of 40 taken. Read after the first
# telling, a retold story's follow-up states a false reason for 1 of 40 answers (read alone: 5 of
# 40), and moves on more often (11 of 40 missed follow-ups, was 6; benchmarks/RESULTS.md 11b).
SAME_STORY_WORDS = 3


def thread_for_reading(session: Session, item: PlanItem | None, draft: str | None = None,
                       builds_on: Sequence[str] = ()) -> Request | None:
    """(question, answers) for the reader: the question as scoring gives it (the interviewer turn
    the first answer replies to) and every answer on `item`, then `draft` (an answer being typed),
    so a one-answer thread is the very read that scores the answer (the reader keeps its last).
    The answers to `builds_on` (earlier questions about the same work, plan.BankQuestion) come
    first: read alone, a follow-on answer got a follow-up whose reason an earlier answer had
    already made false for 0.10 of two authors' cases, read after them 0.006 (benchmarks/RESULTS.md
    section 11). Without them, an earlier answer that tells the same story (`retold`) comes first.
    Beyond CHAIN_WORDS they are left out rather than cut."""
    if item is None or item.phase not in EVALUATED_PHASES:  # follow-ups are decided only there
        return None
    answers = [t for t in session.turns if t.question_id == item.id and t.role == "candidate"]
    said = thread_text([*(t.text for t in answers), *([draft] if draft is not None else [])])
    asked = session.question_for(answers[0]) if answers else next(
        (t for t in reversed(session.turns) if t.role == "interviewer"), None)
    if not said.strip() or asked is None:
        return None
    earlier = thread_text(t.text for t in session.turns if t.role == "candidate" and t.question_id in builds_on)
    if not earlier.strip():
        earlier = retold(session, item, said)
    if earlier.strip() and len(earlier.split()) + len(said.split()) <= CHAIN_WORDS:
        said = f"{earlier}\n{said}"
    return asked.text, said


def retold(session: Session, item: PlanItem, said: str) -> str:
    """The answers to an earlier main question that tell the same story as `said` (the most
    content words in common, at least SAME_STORY_WORDS), or "": the candidate who comes back to
    the outage of an earlier answer is not asked for its cause again."""
    phases = {i.id: i.phase for i in session.plan}
    threads: dict[str, list[str]] = {}
    for turn in session.turns:
        if turn.role == "candidate" and turn.question_id not in (None, item.id) \
                and phases.get(turn.question_id or "") in EVALUATED_PHASES:
            threads.setdefault(turn.question_id or "", []).append(turn.text)
    texts = {qid: thread_text(answers) for qid, answers in threads.items()}
    best = max(texts, key=lambda qid: shared_words(said, texts[qid]), default=None)
    return texts[best] if best is not None and same_story(said, texts[best]) else ""


def shared_words(a: str, b: str) -> int:
    """How many content words two texts have in common (SAME_STORY_WORDS or more: the same story)."""
    return len(set(topic_words(a)) & set(topic_words(b)))


def same_story(a: str, b: str) -> bool:
    """Whether the interviewer reads two answers as one story (`retold`)."""
    return shared_words(a, b) >= SAME_STORY_WORDS


def covers(read: Request, final: Request) -> bool:
    """Whether a reading of `read` may stand for `final`: same question, and `final` adds at most
    a few words after it."""
    if read[0] != final[0]:
        return False
    before, after = " ".join(read[1].split()), " ".join(final[1].split())
    if not after.startswith(before):
        return False
    added = len(after[len(before):].split())
    return added <= max(NEAR_WORDS, len(after.split()) // 10)


async def read_kinds(reader: KindReader, request: Request, token_budget: int, wait: float) -> KindReading | None:
    """`reader`'s reading of `request`, or None when the read fails or takes over `wait` seconds."""
    question, text = request
    # Cut as answer scoring cuts (interview/scoring.py), so a one-answer thread is the same read.
    text, _ = truncate_to_tokens(text, token_budget)
    try:
        return await asyncio.wait_for(reader.read_kinds(question, text), wait)
    except Exception as exc:  # slow, busy or failed: never hold the interview on it
        log.warning("follow-up read not used (%r); the text rules stand in", exc)
        return None


@dataclass
class _Flight:
    request: Request
    task: asyncio.Task[KindReading | None]


class Readings:
    """One per engine: per session, the last finished reading, the read in flight and the draft
    waiting (by session id)."""

    def __init__(self, reader: KindReader | None, token_budget: int, wait: float) -> None:
        self.reader = reader
        self.token_budget = token_budget
        self.wait = wait
        self.reads = 0  # reads started (tests and the benchmark read it)
        self.used = 0  # readings a decision was made on
        self._done: dict[str, tuple[Request, KindReading]] = {}
        self._flights: dict[str, _Flight] = {}
        self._waiting: dict[str, Request] = {}

    def offer(self, key: str, request: Request | None) -> None:
        """Read a draft now, or after the read in flight (replacing any draft waiting)."""
        if self.reader is None or request is None:
            return
        if key in self._flights:
            self._waiting[key] = request
            return
        self._start(key, request)

    def ready(self, key: str, request: Request | None) -> bool:
        """Whether `at_enter` would decide at once: a finished reading covers `request`, or there
        is nothing to read (no reader, or no follow-up to choose on this question)."""
        done = self._done.get(key)
        return self.reader is None or request is None or (done is not None and covers(done[0], request))

    async def at_enter(self, key: str, request: Request | None, wait: float | None = None) -> KindReading | None:
        """The reading to decide on now that `request` is final (see the module docstring): None
        when nothing is read here, NOT_READ when the read did not come in time; `wait` overrides
        the engine's wait for this answer (a spoken one, `engine.reply`)."""
        wait = self.wait if wait is None else wait
        self._waiting.pop(key, None)
        done = self._done.pop(key, None)
        if self.reader is None or request is None:
            return None
        if done is not None and covers(done[0], request):
            reading: KindReading | None = done[1]
        elif wait <= 0:
            log.debug("no reading of the answer ready at Enter; the text rules stand in")
            return NOT_READ
        elif (flight := self._flights.get(key)) is None or not covers(flight.request, request):
            reading = await read_kinds(self.reader, request, self.token_budget, wait)
        else:
            try:
                reading = await asyncio.wait_for(asyncio.shield(flight.task), wait)
            except Exception as exc:  # the draft's read goes on for nobody; the rules stand in now
                log.warning("follow-up read of the draft not used (%r); the text rules stand in", exc)
                return NOT_READ
        if reading is None:
            return NOT_READ
        self.used += 1
        # The app log says who chose each follow-up (the browser test reads it).
        log.info("follow-up chosen from the reader's reading (best: %s)", reading.best()[0])
        return reading

    def _start(self, key: str, request: Request) -> None:
        self.reads += 1
        assert self.reader is not None
        task = asyncio.get_running_loop().create_task(
            read_kinds(self.reader, request, self.token_budget, DRAFT_READ_TIMEOUT))
        self._flights[key] = _Flight(request, task)
        task.add_done_callback(lambda t: self._landed(key, request, t))

    def _landed(self, key: str, request: Request, task: asyncio.Task[KindReading | None]) -> None:
        self._flights.pop(key, None)
        reading = None if task.cancelled() or task.exception() else task.result()
        if reading is not None:
            # One line per read, as the reader server's HTTP request has: what was read, in words
            # (the browser test waits for the read of the whole answer before pressing Enter).
            log.info("draft read for the follow-up (%d words)", len(request[1].split()))
            self._done.pop(key, None)
            self._done[key] = (request, reading)  # newest last
            while len(self._done) > KEPT_READINGS:
                self._done.pop(next(iter(self._done)))
        waiting = self._waiting.pop(key, None)
        if waiting is not None:
            self._start(key, waiting)
