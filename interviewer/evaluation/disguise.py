"""What the reader reads of a sentence: letters in disguise put back to the letters they imitate.

Text aimed at the grader is sometimes written so that a reader of tokens does not see the words:
full-width letters ("ＳＣＯＲＥ"), look-alike letters from another script (a Cyrillic "о" in a
Latin word), or letters spaced or dotted apart ("P.L.E.A.S.E", "i g n o r e"). A person reads all
three as the plain words; the model reads them as rare tokens, so the grader-aim probe
(aim_head.py) misses them while the scores may still move. The reader therefore reads each
sentence in plain letters. Only what the model is given changes: spans, quotes and everything the
candidate sees stay the answer's own characters, and a sentence keeps its place, so the probe's
verdict on the plain reading applies to the original sentence.

Ordinary text reads the same: plain ASCII, accents, "…", "½" and whole words of another script
(a Russian or Greek phrase) are left as written; only style variants of letters, look-alikes
inside Latin text and runs of three or more single letters change.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from confusable_homoglyphs import confusables  # type: ignore[import-untyped]  # no type information

# Compatibility decompositions that are a letter's style, not another character: full- and
# half-width forms, mathematical alphabets, circled and squared letters, small forms. NFKC's other
# mappings ("…" -> "...", "½" -> "1/2", ligatures) are left alone: ordinary answers use them.
_STYLES = ("<wide>", "<narrow>", "<font>", "<circle>", "<square>", "<small>")

_WORD = re.compile(r"[^\W\d_]+")

# Three or more single letters, each followed by the same mark (a dot, a hyphen, an underscore, a
# star, a middle dot; optionally with one space after it: "P.L.E.A.S.E", "s-c-o-r-e") or by one
# space ("i g n o r e"; a wider gap is the gap between such words). Two letters ("A.S", "e.g") are
# too common to touch.
_LETTER = r"[^\W\d_]"
_SPACED = re.compile(
    rf"(?<!{_LETTER})(?:{_LETTER}(?P<mark>[.\-_*\u00b7]) ?)(?:{_LETTER}(?P=mark) ?)+{_LETTER}(?!{_LETTER})"
    rf"|(?<!{_LETTER})(?:{_LETTER} ){{2,}}{_LETTER}(?!{_LETTER})")
_SEPARATORS = re.compile(r"[ .\-_*\u00b7]")


def plain_letters(text: str) -> str:
    """`text` as a person reads it: style variants, look-alikes and spaced letters undone."""
    text = "".join(_unstyled(ch) for ch in text)
    latin_text = _mostly_latin(text)
    text = _WORD.sub(lambda m: _unmasked(m.group(0), latin_text), text)
    return _SPACED.sub(lambda m: _SEPARATORS.sub("", m.group(0)), text)


@lru_cache(maxsize=4096)
def _unstyled(ch: str) -> str:
    if ch.isascii():
        return ch
    if unicodedata.decomposition(ch).startswith(_STYLES):
        return unicodedata.normalize("NFKC", ch)
    return ch


@lru_cache(maxsize=4096)
def _latin_twin(ch: str) -> str | None:
    """The ASCII letter `ch` imitates, from Unicode's confusables table; None if it imitates none."""
    if ch.isascii():
        return None
    found = confusables.is_confusable(ch, preferred_aliases=["latin"])
    for entry in found or []:
        for glyph in entry["homoglyphs"]:
            twin = glyph["c"]
            if len(twin) == 1 and twin.isascii() and twin.isalpha():
                return str(twin)
    return None


def _unmasked(word: str, latin_text: bool) -> str:
    """A word with look-alikes in it: in a Latin word, or a word made only of look-alikes in Latin
    text, they are the Latin letters. A word of another script that has letters with no Latin twin
    (most Russian or Greek words) is that language, left as written."""
    if word.isascii():
        return word
    twins = [_latin_twin(ch) for ch in word]
    has_latin = any(ch.isascii() for ch in word)
    all_twinned = all(ch.isascii() or twin is not None for ch, twin in zip(word, twins))
    if not all_twinned or not (has_latin or latin_text):
        return word
    return "".join(twin or ch for ch, twin in zip(word, twins))


def _mostly_latin(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return sum(ch.isascii() for ch in letters) * 2 > len(letters)
