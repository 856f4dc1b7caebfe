"""Issue 16: the interviewer listens before it asks (fake models; the rules are in code)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from interviewer.interview.engine import InterviewEngine
from interviewer.interview.events import TurnEvent
from interviewer.interview import listening
from interviewer.interview.listening import fragment, is_small_talk, match, other_topic
from interviewer.interview.personas import PersonaLibrary
from interviewer.interview.plan import load_bank
from interviewer.interview.policy import STORY_KINDS, decide
from interviewer.session import PlanItem, Session, Turn, TurnKind, wording_shares
from testkit.chat_model import FunctionChatModel

LIBRARY = PersonaLibrary.load()
BANK = load_bank()
ROOT = Path(__file__).resolve().parent.parent
INTRO = "Good, thanks! I'm a backend engineer at a logistics company and I've been building routing APIs for six years."
STORY = ("Right now I'm working on the dispatch API that depot managers use every morning. Last spring the route build "
         "went from 40 minutes to two hours because a report query had no index. I found it by reading the query plan, "
         "added the index and a CI check so it cannot come back. The build went back to 3 minutes.")
KAFKA = "Honestly, I don't know Kafka internals well. I'd read the docs and ask our platform team."


def echo_model() -> FunctionChatModel:
    """Says the question the task quotes, as a well-behaved model would."""

    def reply(messages: list) -> str:  # type: ignore[type-arg]
        note = str(messages[-1].content)
        for marker in ('ask it: "', 'e.g. "'):
            if marker in note:
                return note.split(marker, 1)[1].split('"', 1)[0]
        return "Thank you for your time today, it was lovely talking with you."

    return FunctionChatModel(default=reply)


async def say(engine: InterviewEngine, session: Session, answer: str) -> Turn:
    turns = [e.turn async for e in engine.reply(session, answer) if isinstance(e, TurnEvent)]
    return turns[-1]


async def started(persona: str, model: FunctionChatModel | None = None) -> tuple[InterviewEngine, Session]:
    engine = InterviewEngine(model or echo_model(), LIBRARY)
    session = engine.new_session(persona)
    [_ async for _ in engine.open(session)]
    return engine, session


async def test_a_self_introduction_in_the_small_talk_is_not_asked_for_again() -> None:
    engine, session = await started("friendly-team")
    nxt = await say(engine, session, INTRO)
    about = next(i for i in session.plan if i.id == "about_you")
    assert not about.asked and about.skipped and "answer 1" in about.skipped
    assert nxt.question_id == "current_work"
    # A human reply to the pleasantry, then the acknowledgement quoting their own words.
    assert nxt.text.startswith(LIBRARY.get("friendly-team").phrases.small_talk_reply[0])
    quoted = nxt.text.split('"')[1]
    assert quoted and quoted in " ".join(INTRO.split())
    assert not any(t.question_id == "about_you" and t.role == "interviewer" for t in session.turns)


async def test_a_full_incident_story_is_not_followed_by_the_challenge_question() -> None:
    engine, session = await started("dour-cto")
    await say(engine, session, "I'm a backend engineer, six years in Go and Postgres, now building routing software.")
    nxt = await say(engine, session, STORY)
    challenge = next(i for i in session.plan if i.id == "current_challenge")
    assert challenge.skipped and not challenge.asked and nxt.question_id != "current_challenge"
    assert "hardest technical challenge" not in nxt.text


async def test_an_admitted_gap_gets_how_would_you_close_it_not_what_was_it_worth() -> None:
    engine, session = await started("dour-cto")
    await say(engine, session, "I'm a backend engineer, six years in Go and Postgres, now building routing software.")
    probe = await say(engine, session, KAFKA)
    assert probe.kind is TurnKind.PROBE and probe.probe_kind == "close_gap"
    assert probe.probe_reason and "gap" in probe.probe_reason
    assert "worth" not in probe.text.lower()


def test_a_gap_without_a_story_gets_no_story_probe() -> None:
    for qid in ("current_work", "tech_incident", "failure", "weakness"):
        decision = decide(thread_text=KAFKA, latest=KAFKA, question=BANK.question(qid),
                          probing=LIBRARY.get("dour-cto").probing, probes_done=[], bank=BANK)
        assert decision.kind == "close_gap", (qid, decision)
        assert not STORY_KINDS & {g.kind for g in decision.gaps}
        done = decide(thread_text=KAFKA, latest=KAFKA, question=BANK.question(qid),
                      probing=LIBRARY.get("dour-cto").probing, probes_done=["close_gap"], bank=BANK)
        assert done.action == "move_on"


async def test_small_talk_to_the_ctos_first_question_gets_a_reply_and_the_question_again() -> None:
    engine, session = await started("dour-cto")
    turn = await say(engine, session, "Hi Morgan, nice to meet you! How are you?")
    assert turn.probe_kind == "small_talk" and turn.question_id == "about_you"
    assert turn.text.startswith(LIBRARY.get("dour-cto").phrases.asked_back_reply[0])
    assert "yourself" in turn.text


async def test_an_answer_to_another_question_is_redirected_once() -> None:
    engine, session = await started("structured-panel")
    while session.plan[session.position].id != "conflict":
        await say(engine, session, STORY if session.plan[session.position].phase == "deep_dive" else INTRO)
    leaving = "I'm looking for a bigger team where I can grow into a staff role; my company is cutting platform work."
    first = await say(engine, session, leaving)
    assert first.probe_kind == "refocus" and "disagreed" in first.text
    assert first.probe_reason and "why they want to leave" in first.probe_reason
    second = await say(engine, session, leaving)
    assert second.probe_kind != "refocus"


def test_listening_rules_on_their_own() -> None:
    assert is_small_talk("Pretty good, thanks! How are you?") and not is_small_talk(INTRO + " " + STORY)
    assert match(STORY, BANK.question("current_challenge").covered_when) is not None  # type: ignore[arg-type]
    assert match("We fixed it.", BANK.question("current_challenge").covered_when) is None  # type: ignore[arg-type]
    conflict = PlanItem(id="conflict", phase="behavioural", topic="a disagreement")
    assert other_topic(BANK, conflict, "My biggest weakness is that I'm bad at estimating work; I usually underestimate tasks by about half.") is not None
    assert other_topic(BANK, conflict, "I disagreed with our lead about a rewrite.") is None
    assert other_topic(BANK, conflict, KAFKA) is None
    piece = fragment(STORY, (STORY.index("because"), STORY.index("because") + 7))
    assert piece in " ".join(STORY.split()) and len(piece.split()) <= 14


async def test_where_every_interviewer_line_came_from_is_recorded() -> None:
    model = FunctionChatModel(replies=[
        'Morgan: "Could you tell me about yourself?"',  # a label and quotes: repaired
        "What's your favourite colour?",  # off topic: the template
        "Great answer! Why did the route build slow down?",  # generic praise dropped: repaired
    ], default="Thank you, that is all from me today, goodbye.")
    engine, session = await started("dour-cto", model)
    first = session.turns[-1]
    assert first.wording == "repaired" and "Morgan:" not in first.text and '"' not in first.text
    await say(engine, session, "I'm a backend engineer, six years in Go and Postgres, now building routing software.")
    assert session.turns[-1].wording == "template"
    await say(engine, session, "The route build got slow and we fixed it.")
    probe = session.turns[-1]
    assert probe.wording == "repaired" and not probe.text.startswith("Great")
    shares = wording_shares(session.turns)
    assert abs(sum(shares.values()) - 1) < 1e-9 and shares["template"] > 0


async def test_a_plain_good_line_is_the_models() -> None:
    engine, session = await started("friendly-team")
    assert session.turns[-1].wording in {"model", "repaired"}
    turn = await say(engine, session, "Not bad at all, thanks.")
    assert turn.wording == "model"


def test_sessions_saved_before_wording_was_recorded_still_load() -> None:
    data = json.loads(Session(turns=[Turn(role="interviewer", kind=TurnKind.QUESTION, text="Hi?")],
                              plan=[PlanItem(id="x", phase="about_you", topic="t")]).to_json())
    del data["turns"][0]["wording"], data["plan"][0]["skipped"]
    old = Session.model_validate(data)
    assert old.turns[0].wording is None and old.plan[0].skipped is None
    assert wording_shares(old.turns) == {"model": 0.0, "repaired": 0.0, "template": 0.0}


def test_the_conversation_benchmark_runs_on_the_fake_model() -> None:
    spec = importlib.util.spec_from_file_location("bench_conversation", ROOT / "benchmarks/bench_conversation.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    import asyncio

    result = asyncio.run(bench.run(fake=True, show=False, limit=None))
    assert result["interviews"] >= 20 and len(result["personas"]) == 3
    assert result["asked_after_answered"] == 0 and result["covered_but_not_seen"] == 0
    # The scripts' `fits` were written from the rules before rule L covered backends without a
    # reader: 3 of the 15 judged expect a named `why`/`how_found` where the rules now ask for an
    # example or to say more (benchmarks/conversation.md). The labelled cases measure fit.
    assert result["probe_kind_fit"] >= 0.8


def test_openers_and_first_hand_gaps_beyond_the_first_examples() -> None:
    assert is_small_talk("Morning! Lovely weather today, isn't it?")
    assert is_small_talk("Happy to be here, thanks.")
    assert not is_small_talk("Morning. I'm a data engineer; six years on Spark.")
    from interviewer.evaluation import signals

    assert signals.KNOWLEDGE_GAP.search("Honestly, I have never tuned Elasticsearch myself.")
    assert not signals.KNOWLEDGE_GAP.search("I have been tuning Elasticsearch for years.")
    assert signals.compute("I read the load balancer logs and saw the pods restart.").hit("investigation")


async def test_a_script_that_stops_before_a_covered_question_still_has_to_show_the_coverage() -> None:
    from testkit.scripted import judge, play

    engine = InterviewEngine(FunctionChatModel(default="Tell me more?"), LIBRARY)
    script = {"persona": "structured-panel", "answers": ["Fine, thanks."],
              "expect": {"not_asked": ["tech_incident"], "probes": []}}
    session = await play(engine, script)
    assert judge(session, script).not_seen == ["tech_incident"]  # nothing said covers it
    script["answers"].append(INTRO + " " + STORY + " Until then our users got their routes an hour late.")
    session = await play(engine, script)
    assert judge(session, script).misses() == []


async def test_a_topic_named_too_briefly_to_skip_is_asked_building_on_their_words() -> None:
    notes: list[str] = []
    echo = echo_model()

    def reply(messages: list) -> str:  # type: ignore[type-arg]
        notes.append(str(messages[-1].content).rsplit("\n\n", 1)[-1])
        return str(echo.default(messages))  # type: ignore[misc]

    engine, session = await started("dour-cto", FunctionChatModel(default=reply))
    brief = "I'm a backend engineer in payments; right now I'm moving invoice generation off a nightly cron onto a queue."
    asked = await say(engine, session, brief)
    for filler in ("Go and Python, five years.", "Mostly payments APIs for merchants."):
        if asked.question_id == "current_work":
            break
        asked = await say(engine, session, filler)
    work = next(i for i in session.plan if i.id == "current_work")
    # Too short to skip (covered_when's min_words), so it is asked, but not as if nothing was said.
    assert listening.covering(session, BANK, work) is None and asked.question_id == "current_work"
    assert 'building on their words "right now I\'m moving invoice generation …"' in notes[-1], notes[-1]


def test_only_a_named_topic_is_touched() -> None:
    session = Session(user_id="local", persona="dour-cto")
    session.plan = [PlanItem(id="about_you", topic="t", phase="about_you", asked=True),
                    PlanItem(id="current_work", topic="t", phase="deep_dive"),
                    PlanItem(id="current_challenge", topic="t", phase="deep_dive")]
    session.add_turn(Turn(role="candidate", kind=TurnKind.ANSWER, question_id="about_you",
                          text="Currently I work on the billing service. It failed once because of a race, which I found in the logs."))
    work, challenge = session.plan[1], session.plan[2]
    assert listening.touched(session, BANK, work) is not None  # its cue, in a few words
    assert listening.touched(session, BANK, challenge) is None  # signals only: no topic named
    work.asked = True
    assert listening.touched(session, BANK, work) is None


def test_a_follow_up_that_drifts_to_an_earlier_story_is_not_on_target() -> None:
    session = Session(user_id="local", persona="dour-cto")
    session.add_turn(Turn(role="candidate", kind=TurnKind.ANSWER, question_id="current_challenge",
                          text="I moved the analytics job to a read replica and added an alert on pool saturation."))
    gap = "Honestly I don't know Kubernetes networking well; I've only used what the platform team set up."
    session.add_turn(Turn(role="candidate", kind=TurnKind.ANSWER, question_id="current_design", text=gap))
    anchors = [gap, "How would you close that gap?"]
    drifted = "How would you ensure the new read replica and alert are properly tested and monitored?"
    assert listening.drifted(drifted, anchors, session, "current_design")
    for line in ("How would you go about learning Kubernetes networking?", "How would you close that gap?",
                 "What would you do first?", "Would a read replica need the same networking?"):
        assert not listening.drifted(line, anchors, session, "current_design"), line
    # Earlier answers on the same question are the thread it follows up on, not another story.
    assert not listening.drifted(drifted, anchors, session, "current_challenge")
