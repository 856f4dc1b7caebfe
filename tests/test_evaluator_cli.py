"""`interviewer score` and `interviewer eval` with a fake model: formats and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from interviewer.cli import evaluate as cli_eval
from interviewer.cli.main import main
from interviewer.evaluation.evaluator import AnswerEvaluator
from test_evaluator import DATA, all_checks, fake, tool_reply


class _Runtime:
    stopped = False

    class settings:  # noqa: N801  (stands in for Settings)
        evaluation_slots = 4

    def stop(self) -> None:
        self.stopped = True


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> _Runtime:
    rt = _Runtime()
    model = fake(tool_reply(all_checks("yes", overclaim="no", blame="no", dodge="no")))
    monkeypatch.setattr(cli_eval, "_make_evaluator", lambda quiet: (rt, AnswerEvaluator(model)))
    return rt


def test_score_writes_one_line_per_input_and_reports_bad_lines(runtime: _Runtime) -> None:
    lines = [
        json.dumps({"question": "A bug?", "answer": "I reproduced it with logs because the cache key was wrong, then added a test."}),
        "{not json",
        json.dumps({"question": "Q"}),
        "",
        json.dumps({"question": "Q", "answer": "fine"}),
    ]
    result = CliRunner().invoke(main, ["score", "--quiet"], input="\n".join(lines) + "\n")
    assert result.exit_code == 1 and "Traceback" not in result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 4
    assert set(out[0]) == {"honesty", "root_cause", "storytelling", "evidence", "rationale", "flags", "scorer"}
    assert out[0]["scorer"] == "judge"
    assert all(isinstance(out[0][d], int) for d in ("honesty", "root_cause", "storytelling"))
    assert out[1] == {"error": out[1]["error"], "line": 2} and "line 2: not valid JSON" in out[1]["error"]
    assert "line 3" in out[2]["error"] and "answer" in out[2]["error"]
    assert out[3]["honesty"] is None and out[3]["rationale"]["honesty"].startswith("Insufficient evidence")
    assert runtime.stopped


def test_eval_prints_accuracy_per_dimension_and_injection_gains(runtime: _Runtime, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["eval", str(DATA), "--injections", "4", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "honesty" in result.output and "root_cause" in result.output and "storytelling" in result.output
    overall = next(line for line in result.output.splitlines() if line.startswith("overall"))
    assert overall.split()[-3] == "0"  # no injection gains
    assert "s per answer" in result.output


def test_eval_rejects_a_bad_pairs_file_clearly(runtime: _Runtime, tmp_path: Path) -> None:
    bad = tmp_path / "pairs.jsonl"
    bad.write_text('{"dim": "charisma", "question": "q", "better": "a", "worse": "b"}\n')
    result = CliRunner().invoke(main, ["eval", str(bad)])
    assert result.exit_code != 0 and "unknown dim 'charisma'" in result.output
    assert "Traceback" not in result.output


def test_score_keeps_one_event_loop_for_50_lines_over_real_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """A loop per line once left the HTTP client's pooled connections on closed loops: every
    second line came back unavailable ("Event loop is closed"). Real sockets, a real server
    process (the loopback fake), 50 lines, 4 at a time: 50 scored results, in input order."""
    from interviewer.llm.provider import make_chat_model
    from testkit.fake_server import FakeServerProcess

    with FakeServerProcess() as server:
        model = make_chat_model(base_url=server.url, api_key=None, model="fake", openai_native=False,
                                temperature=0, max_retries=0)
        rt = _Runtime()
        monkeypatch.setattr(cli_eval, "_make_evaluator", lambda quiet: (rt, AnswerEvaluator(model)))
        answers = [f"In incident {i} I read the logs, found the retry loop that caused it and added a test."
                   for i in range(50)]
        lines = [json.dumps({"question": "An incident?", "answer": a}) for a in answers]
        result = CliRunner().invoke(main, ["score", "--quiet"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 50
    assert not [o for o in out if o.get("status")], [o.get("error") for o in out if o.get("status")]
    assert all(isinstance(o["honesty"], int) for o in out)


def test_a_huge_answer_is_judged_on_a_bounded_part_and_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    model = fake(tool_reply(all_checks("yes", overclaim="no", blame="no", dodge="no")))
    monkeypatch.setattr(cli_eval, "_make_evaluator", lambda quiet: (_Runtime(), AnswerEvaluator(model)))
    sentence = "I traced the slow checkout to a missing index by reading the query plan. "
    huge = sentence * 15_000  # about 1 MB
    result = CliRunner().invoke(main, ["score", "--quiet"], input=json.dumps({"question": "Q?", "answer": huge}) + "\n")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert "answer_cut" in out["flags"] and isinstance(out["root_cause"], int)
    sent = len(str(model.calls[-1][-1].content))  # the answer's message (the system prompt is fixed)
    assert sent < 8_000, sent  # the model saw a bounded part, not a megabyte


def test_eval_filters_by_split_and_prints_the_interval_and_the_length_baseline(runtime: _Runtime, tmp_path: Path) -> None:
    rows = [
        {"id": "a", "dim": "honesty", "split": "tune", "question": "Q?", "better": "short and true, I do not know it yet",
         "worse": "a much longer answer that pads and pads and says very little of substance at all really"},
        {"id": "b", "dim": "honesty", "split": "heldout", "question": "Q?", "better": "x y z", "worse": "x"},
    ]
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = CliRunner().invoke(main, ["eval", str(path), "--split", "tune", "--injections", "0", "--quiet"])
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.output.splitlines() if ln.startswith("honesty"))
    assert line.split()[1] == "1"  # one pair: the tune one
    assert "95% interval" in result.output and line.split()[4] == "0.00"  # length picks the padded one
    missing = CliRunner().invoke(main, ["eval", str(path), "--split", "nope", "--quiet"])
    assert missing.exit_code != 0 and "no pairs in split 'nope'" in missing.output


def test_wilson_interval() -> None:
    low, high = cli_eval.wilson(0.9, 50)
    assert 0.78 < low < 0.80 and 0.95 < high < 0.97
