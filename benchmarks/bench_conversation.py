"""Does the interviewer listen? Scripted interviews through the real engine (issue 16).

    PYTHONPATH=. python benchmarks/bench_conversation.py           # the configured model (embedded by default)
    PYTHONPATH=. python benchmarks/bench_conversation.py --fake    # a scripted fake model: checks the plumbing
    PYTHONPATH=. python benchmarks/bench_conversation.py --show    # and every miss, on stderr
    PYTHONPATH=. python benchmarks/bench_conversation.py --legacy-prompt   # the prompt before issue 14
    PYTHONPATH=. python benchmarks/bench_conversation.py --fake --reader   # follow-ups from the reader (issue 27)

benchmarks/data/scripted_interviews.jsonl: one interview per line, in the script format of
testkit/scripted.py (which also judges them; the tests use the same judge).

Prints one JSON object:
- `asked_after_answered`: planned questions asked although an earlier answer had answered them
  (goal 0); `covered_but_not_seen`: such questions the interview did not reach and code would
  still ask (goal 0);
- `probe_kind_fit`: of the judged probes, the share whose kind is in `fits` (goal >= 0.9); the
  turns after judged answers that moved on where a probe was expected are listed as `missed`;
- `wording`: share of interviewer turns in the model's words, repaired, or from a template
  (goal: model + repaired >= 0.8), and `template_because`: why the model's line was not used
  (`--show` prints each rejected line).
Probe kinds are decided in code, so `--fake` already measures them; `wording` needs the real model.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
from collections import Counter
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from langchain_core.language_models import BaseChatModel  # noqa: E402
from langchain_core.messages import BaseMessage  # noqa: E402

from interviewer.interview.engine import InterviewEngine  # noqa: E402
from interviewer.interview.personas import PersonaLibrary  # noqa: E402
from interviewer.session import wording_shares  # noqa: E402
from testkit.chat_model import FunctionChatModel  # noqa: E402
from testkit.scripted import Verdict, judge, play  # noqa: E402

DATA = ROOT / "benchmarks/data/scripted_interviews.jsonl"
QUOTED = re.compile(r'(?:in your own words[^"]*|e\.g\. )"([^"]+)"')


def fake_model() -> FunctionChatModel:
    """Rephrases nothing: says the example the task quotes, dressed like the embedded model's
    output is (a name label and quotes, a praise lead-in) on some turns, so repairs show up."""
    count = [0]

    def reply(messages: list[BaseMessage]) -> str:
        count[0] += 1
        note = str(messages[-1].content).rsplit("\n\nAs ", 1)[-1]
        speaker = note.split(",", 1)[0]
        found = QUOTED.search(note)
        if "answer the candidate's question" in note:
            return "Good question, the recruiter will follow up on that. Any other questions?"
        if found is None:
            return "Thank you for your time today, it was a pleasure talking with you."
        text = found.group(1)
        if count[0] % 3 == 0:
            return f'{speaker}: "{text}"'
        if count[0] % 4 == 0:
            return f"Great answer! {text}"
        return text

    return FunctionChatModel(default=reply)


def configured_model() -> tuple[BaseChatModel, Any]:
    """The interviewer model the app would use (settings from env/.env; embedded by default)."""
    from interviewer.cli.interview import INTERVIEWER_MAX_TOKENS
    from interviewer.config import load_settings
    from interviewer.llm.provider import LLMRuntime, Role

    runtime = LLMRuntime(load_settings())
    runtime.start()
    return runtime.chat_model(Role.INTERVIEWER, max_tokens=INTERVIEWER_MAX_TOKENS, streaming=True), runtime


class Rejections(logging.Handler):
    """Collects why the model's phrasing was not used (interviewer.interview.wording logs it)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.reasons: Counter[str] = Counter()
        self.resampled: Counter[str] = Counter()  # first draws drawn again (wording.resample)
        self.lines: list[str] = []
        self.current = ""  # the interview being played, so each refused line can be traced to it

    def emit(self, record: logging.LogRecord) -> None:
        again = getattr(record, "resampled", None)
        if again is not None:
            self.resampled[str(again)] += 1
        why = getattr(record, "why", None)
        if why is not None:
            self.reasons[str(why)] += 1
            self.lines.append(f"{self.current}: {record.getMessage()}")


def make_engine(model: BaseChatModel, legacy_prompt: bool, kind_reader: Any = None) -> InterviewEngine:
    """The engine; with `legacy_prompt`, the interviewer request main sent before issue 14's
    short note (benchmarks/_legacy_prompt.py), to compare how the model behaves on each; with
    `kind_reader`, follow-ups chosen from the reader (issue 27), each read waited for."""
    if not legacy_prompt:
        return InterviewEngine(model, PersonaLibrary.load(), kind_reader=kind_reader, kind_read_wait=120.0)
    import _legacy_prompt

    class LegacyEngine(InterviewEngine):
        def messages(self, session: Any, persona: Any, move: Any) -> list[BaseMessage]:
            return _legacy_prompt.messages(self, session, persona, move)

    return LegacyEngine(model, PersonaLibrary.load())


async def run(
    fake: bool, show: bool, limit: int | None, legacy_prompt: bool = False, every: int = 1, dump: Path | None = None,
    reader: bool = False,
) -> dict[str, Any]:
    rejections = Rejections()
    wording_log = logging.getLogger("interviewer.interview.wording")
    wording_log.setLevel(logging.INFO)
    wording_log.addHandler(rejections)
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()][::every][:limit]
    runtime = None
    model: BaseChatModel
    if fake:
        model = fake_model()
    else:
        model, runtime = configured_model()
    try:
        kinds = None
        if reader:  # the embedded evaluator's reader, even when the interviewer's model is the fake
            from interviewer.config import load_settings
            from interviewer.evaluation.scorer import make_evaluator
            from interviewer.interview.probe_head import kind_reader_for
            from interviewer.llm.provider import LLMRuntime

            runtime = runtime or LLMRuntime(load_settings()).start()
            kinds = kind_reader_for(make_evaluator(runtime))
            if kinds is None:
                raise SystemExit("no probe-choice head for the embedded model and reader (make reader)")
        engine = make_engine(model, legacy_prompt, kinds)
        sessions = []
        results: list[Verdict] = []
        for row in rows:
            rejections.current = row["id"]
            session = await play(engine, row)
            sessions.append(session)
            results.append(judge(session, row))
            if show:
                for miss in results[-1].misses():
                    print(f"{row['id']}: {miss}", file=sys.stderr)
    finally:
        if runtime is not None:
            runtime.stop()
        wording_log.removeHandler(rejections)
    if show:
        for line in rejections.lines:
            print(line, file=sys.stderr)
    if dump is not None:
        with dump.open("w", encoding="utf-8") as out:
            for row, session in zip(rows, sessions):
                turns = [{"role": t.role, "kind": t.kind.value, "wording": t.wording, "text": t.text} for t in session.turns]
                out.write(json.dumps({"id": row["id"], "persona": row["persona"], "turns": turns}) + "\n")
    judged = sum(r.judged for r in results)
    shares = wording_shares(t for s in sessions for t in s.turns)
    return {
        "model": "fake (scripted)" if fake else "configured",
        "prompt": "before issue 14" if legacy_prompt else "current",
        "follow_ups_chosen_by": "the reader (issue 27)" if reader else "the text rules",
        "interviews": len(rows),
        "personas": sorted({r["persona"] for r in rows}),
        "asked_after_answered": sum(len(r.asked_again) for r in results),
        "covered_but_not_seen": sum(len(r.not_seen) for r in results),
        "not_asked_expectations": sum(len(r["expect"]["not_asked"]) for r in rows),
        "probes_judged": judged,
        "probe_kind_fit": round(sum(r.fit for r in results) / judged, 3) if judged else None,
        "expected_probe_missed": sum(len(r.missed) for r in results),
        "wording": {k: round(v, 3) for k, v in shares.items()},
        "model_or_repaired": round(shares["model"] + shares["repaired"], 3),
        "template_because": dict(rejections.reasons.most_common()),
        "drawn_again_because": dict(rejections.resampled.most_common()),
        "interviewer_turns": sum(1 for s in sessions for t in s.turns if t.role == "interviewer"),
    }


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fake", action="store_true", help="a scripted fake model instead of the configured one")
    parser.add_argument("--show", action="store_true", help="print every miss on stderr")
    parser.add_argument("--limit", type=int, default=None, help="only the first N interviews")
    parser.add_argument("--every", type=int, default=1, help="only every K-th interview (a quick sample across the personas)")
    parser.add_argument("--dump", type=Path, default=None, help="write every interview's turns (who, words, wording) as JSON lines")
    parser.add_argument("--legacy-prompt", action="store_true", help="the interviewer prompt from before issue 14")
    parser.add_argument("--reader", action="store_true", help="follow-ups chosen from the embedded model's reader")
    args = parser.parse_args()
    if args.show:  # and every model line the engine did not use, with why (wording.py logs it)
        import logging

        logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
        logging.getLogger("interviewer.interview.wording").setLevel(logging.INFO)
    result = asyncio.run(run(args.fake, args.show, args.limit, args.legacy_prompt, args.every, args.dump, args.reader))
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
