"""Small, visible text signals the report uses next to the evaluator's scores.

They only feed judgments the report explains in words (objectives, "what to practise"); they
never change a score. Each is a regular expression so a reader can see exactly what counted.
"""

from __future__ import annotations

import re

# A question asked back to the interviewer (rapport, curiosity).
QUESTION_BACK = re.compile(r"\?\s*$|\?\s+\S", re.MULTILINE)
# A number with something that makes it impact: %, money, time, people, volume.
QUANTIFIED_IMPACT = re.compile(
    r"(\d[\d,.]*\s*(%|percent|x\b|times\b|k\b|ms\b|s\b|seconds?|minutes?|hours?|days?|weeks?|"
    r"months?|users?|customers?|people|engineers?|requests?|tickets?|GB|TB|MB)|[$€£]\s*\d)",
    re.IGNORECASE,
)
# A lesson made explicit (growth).
LESSON = re.compile(
    r"\b(i learn(?:ed|t)|lesson|taught me|next time|now i|i now|since then|from then on|"
    r"in hindsight|would do (?:it )?differently)\b",
    re.IGNORECASE,
)
# Owning a mistake or a gap (growth, honesty).
OWNS_MISTAKE = re.compile(
    r"\b(my mistake|my fault|i was wrong|i got (?:it|that) wrong|i should have|i missed|"
    r"i didn'?t know|i don'?t know|i broke|i caused|i messed up|i underestimated)\b",
    re.IGNORECASE,
)
# Questions from the interviewer that invite a mistake, failure or lesson.
ASKS_FOR_GROWTH = re.compile(r"\b(mistake|fail\w*|wrong|learn\w*|weakness\w*|regret)\b", re.IGNORECASE)


def count(pattern: re.Pattern[str], texts: list[str]) -> int:
    """How many of `texts` contain the pattern at least once."""
    return sum(1 for text in texts if pattern.search(text))
