"""Numbers as candidates say them ("forty", "a dozen", "2.5k", "1.2 million", "~40", "about 40")
turned into a value and the range it may really mean. The range is what keeps comparisons honest:
"about 40" and "42" are the same claim, "four" and "forty" are not.
"""

from __future__ import annotations

import math
import re

from interviewer.claims import Amount

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
SUFFIXES = {"k": 1_000, "m": 1_000_000, "mm": 1_000_000, "mn": 1_000_000, "bn": 1_000_000_000, "b": 1_000_000_000}
# Said instead of a number; "a couple hundred" is vague, so it is approximate.
PHRASES = {"a dozen": (12, False), "dozen": (12, False), "a couple": (2, True), "a couple of": (2, True),
           "a hundred": (100, False), "a thousand": (1_000, False), "a million": (1_000_000, False),
           "half a million": (500_000, False), "a billion": (1_000_000_000, False), "a few": (3, True)}

_WORD = "|".join(sorted([*UNITS, *TENS], key=len, reverse=True))
_SCALE = "|".join(SCALES)
_WORDS = rf"(?:{_WORD})(?:[\s-]+(?:and\s+)?(?:{_WORD}|{_SCALE}))*"
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_PHRASE = r"half a million|a couple(?: of)?(?:\s+(?:hundred|thousand|million))?|a (?:dozen|few|hundred|thousand|million|billion)|dozen"
# One number as written, with any scale after it ("2.5k", "1.2 million", "forty-two", "a dozen").
NUMBER = (
    rf"(?:(?:{_DIGITS})(?:\s?(?:{_SCALE})\b|(?:k|mm|mn|m|bn|b)\b)?"
    rf"|\b(?:{_PHRASE})\b|\b{_WORDS}\b)"
)
NUMBER_RE = re.compile(NUMBER, re.IGNORECASE)

# How the candidate hedged the number; each maps to a range around it.
APPROX = r"about|around|roughly|approximately|approx\.?|~|some|maybe|circa|ca\.|close to|almost|nearly|just under|just over|over|more than|north of|upwards of|passed|under|less than|fewer than|below|up to|at least|at most"
APPROX_RE = re.compile(rf"(?:(?<![\w])(?P<approx>{APPROX})\s*)?(?P<number>{NUMBER})", re.IGNORECASE)


def words_to_number(text: str) -> float | None:
    """ "forty-two" -> 42, "two million" -> 2e6, "fifty thousand" -> 5e4; None when not a number."""
    total, current, seen = 0.0, 0.0, False
    for word in re.split(r"[\s-]+", text.lower().strip()):
        if word in ("and", ""):
            continue
        if word in UNITS:
            current += UNITS[word]
        elif word in TENS:
            current += TENS[word]
        elif word == "hundred":
            current = (current or 1) * 100
        elif word in SCALES:
            total += (current or 1) * SCALES[word]
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


def parse_number(text: str) -> tuple[float, bool] | None:
    """The value of one written number and whether the wording itself is vague ("a couple")."""
    raw = text.strip().lower()
    for phrase, (base, vague) in PHRASES.items():
        if raw == phrase:
            return float(base), vague
        if raw.startswith(phrase + " ") and raw[len(phrase) + 1:] in SCALES:
            return float(base * SCALES[raw[len(phrase) + 1:]]), vague
    m = re.fullmatch(rf"({_DIGITS})\s?([a-z]+)?", raw)
    if m:
        value = float(m.group(1).replace(",", ""))
        scale = m.group(2)
        if scale is None:
            return value, False
        factor = SCALES.get(scale) or SUFFIXES.get(scale)
        return (value * factor, False) if factor else None
    words = words_to_number(raw)
    return (words, False) if words is not None else None


def rounding(value: float, written: str) -> float:
    """Half the last significant unit of a round number: "40" may be 35-45, "2 million" 1.5-2.5
    million; at least 10 % either way, because people round loosely when they talk."""
    digits = re.sub(r"[^\d.]", "", written)
    step = 1.0
    if digits and "." not in digits and value >= 10:
        trailing = len(digits) - len(digits.rstrip("0"))
        step = 10.0 ** trailing
    elif not digits and value >= 10:  # a word number ("forty") is as round as its last digit
        step = 10.0 ** (len(str(int(value))) - len(str(int(value)).rstrip("0")))
    return max(step / 2, abs(value) * 0.10)


def to_amount(value: float, written: str = "", approx: str | None = None, vague: bool = False) -> Amount:
    """The range a hedged number covers: "about" +-25 %, "over N" up to 1.5 N, "nearly N" down to
    0.8 N, "up to N" anything below. Wide on purpose: a range too narrow accuses people of lying
    about numbers they were only rounding."""
    tol = rounding(value, written or str(value))
    low, high = value - tol, value + tol
    marker = (approx or "").lower().strip()
    if marker in ("about", "around", "roughly", "approximately", "approx", "approx.", "~", "some", "maybe",
                  "circa", "ca.") or vague:
        low, high = min(low, value * 0.75), max(high, value * 1.25)
    elif marker in ("over", "more than", "north of", "upwards of", "passed", "just over"):
        low, high = value, value * 1.5
    elif marker in ("almost", "nearly", "just under", "close to"):
        low, high = value * 0.8, value + (tol if marker == "close to" else 0)
    elif marker in ("under", "less than", "fewer than", "below", "up to", "at most"):
        low, high = 0.0, value
    elif marker == "at least":
        low, high = value, math.inf
    return Amount(value=value, low=max(low, 0.0) if value >= 0 else low,
                  high=None if math.isinf(high) else high, approximate=bool(marker) or vague)


def scaled(amount: Amount, factor: float) -> Amount:
    """The same amount in another unit (3 TB -> 3,000 GB keeps its range)."""
    high = None if amount.high is None else amount.high * factor
    return Amount(value=amount.value * factor, low=amount.low * factor, high=high, approximate=amount.approximate)
