"""`interviewer score` on the real embedded model: 50 lines in, 50 scored results out.

Before one event loop was kept for the whole run, every second line came back "unavailable"
(`Event loop is closed`); this runs the real command in a subprocess, with its own server, so the
whole path (start-up, one client, retries, output order) is what a user gets.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.live

SUBJECTS = ["the checkout page", "the nightly import", "our login service", "the search index", "the billing job",
            "the mobile sync", "the report export", "the payment webhook", "the image resizer", "the email queue"]
STORIES = [
    "{s} got slow last spring. I profiled it, found a missing index and added it, and it went from 8 s to 300 ms.",
    "{s} failed twice in one week. We restarted it and it was fine afterwards, so we moved on.",
    "I broke {s} with a config change I had not tested. I rolled it back, wrote a test for it and told the team.",
    "Honestly I don't know much about how {s} works inside; another team owns it, and I only read its alerts.",
    "I rebuilt {s} on my own and it is now the best part of the whole system, everyone says so.",
]


def lines() -> list[str]:
    out = []
    for n, (subject, story) in enumerate((s, t) for s in SUBJECTS for t in STORIES):
        answer = story.format(s=subject)
        answer = answer[0].upper() + answer[1:]
        out.append(json.dumps({"question": f"Question {n + 1}: tell me about {subject}.", "answer": answer}))
    return out


def test_score_returns_a_result_for_every_one_of_50_lines(tmp_path: Path) -> None:
    given = lines()
    assert len(given) == 50 and len(set(given)) == 50
    source = tmp_path / "answers.jsonl"
    source.write_text("\n".join(given) + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "interviewer.cli", "score", "--input", str(source), "--quiet"],
        capture_output=True, text=True, timeout=1800,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(out) == 50
    unavailable = [n for n, line in enumerate(out, 1) if line.get("status")]
    assert not unavailable, [(n, out[n - 1].get("error")) for n in unavailable]
    assert all(isinstance(line["honesty"], int) for line in out)
    # The scores follow the answers, not the line number: an honest fix outranks "we restarted it".
    fixed = [line["root_cause"] for line in out[0::5]]
    restarted = [line["root_cause"] or 0 for line in out[1::5]]
    assert sum(f or 0 for f in fixed) > sum(restarted)
