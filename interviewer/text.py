"""Sentences: the ONE sentence splitter of the code base, below every wing, so the evaluator's
sentence numbers and quotes, the reader's pieces, the claim ledger, the interviewer's phrasing
and the report all cut the same text in the same places.

A line break always ends a sentence (answers arrive as typed or dictated lines, bullets and
numbered lists). Inside a line pysbd proposes the ends and the rule of the regex used before
issue 26 keeps the last word: a sentence still ends only after . ! ? (or …, with any closing quote
or bracket) before a space, or before a list item, so pysbd mostly takes ends away, the ones in
"Dr. Smith", "3 p.m. about", "e.g. the", quoted sentences and JSON, which that regex cut; "3.5 s",
"v2.1.3", URLs and e-mail addresses never ended one. Ends pysbd takes away wrongly are put back
(`_MISSED_END`). Spans cover the text in order and never overlap: whatever pysbd skips stays in a
sentence, and a piece it fails on is split by that regex.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pysbd  # type: ignore[import-untyped]  # no type information published

Span = tuple[int, int]

# Built once. Only its `processor` is used, which keeps no state between calls, so threads
# (background scoring, the app) can share it; `segment(..., char_span=True)` stores the text on
# the instance and finds each sentence's span by searching the whole text again (10,000 x "Yes. "
# took 13 s here), so `_pysbd_ends` finds the spans itself, in one pass.
_SEGMENTER = pysbd.Segmenter(language="en", clean=False, char_span=False)

# The fallback, and the splitter before pysbd: a sentence ends at . ! ? (with any closing quote or
# bracket) followed by a space or the end of the text, or at a line break; "3.5", "node.js" and
# "e.g.x" do not end one.
_SIMPLE = re.compile(r"""(?:[^.!?\n]|[.!?]+(?=[^\s.!?"')\]]))+(?:[.!?]+["')\]]*)?|[.!?]+["')\]]*""")
_LINE = re.compile(r"[^\n]+")

# pysbd's abbreviation pass is quadratic in the length of what it reads (measured here: 2,000
# chars 0.01 s, 50,000 chars 1.5 s; 50,000 chars of "Dr. " 8 s), so a long line is read in pieces
# of about this size, each cut at its last place of the best kind: where both splitters agree a
# sentence ends (a lowercase word of four or more letters, end punctuation, a space, a capital:
# "…the pool. Then…"), else where the regex would end one ("…v2.1.3! I…"); when a piece has
# neither, it runs on to the next place the regex would end a sentence.
_PIECE = 2_000
_CUTS = (
    re.compile(r"\b[a-z]{4,}[.!?]+[\"')\]”’]*\s+(?=[A-Z])"),
    re.compile(r"[.!?]+[\"')\]”’]*\s+(?=[\"'“‘(]?[A-Z])"),
)
# A piece longer than this (so with no such place for that long) is not prose, and pysbd may not
# read it in time (its list rules: 2,000 chars of "a) b) c) …" take 2 s): the regex splits it.
_PYSBD_MAX = 5_000
# pysbd's numbered-reference rule backtracks exponentially on a period right before "[" and digits
# ("..[111 111 111 111 111 111 111 111 111 111]" never returns; pySBD issue 79). Such a bracket is
# hidden from pysbd by a character of the same length, so offsets still map onto the text. "∯" is
# pysbd's own stand-in for a period that ends no sentence, so it triggers the rule too.
_REFERENCE_BRACKET = re.compile(r"(?<=[.∯])\[")
_CLOSERS = "\"')]”’"
# "1. Reproduce it 2. Fix it": pysbd puts each item of a list written on one line on its own.
_LIST_ITEM = re.compile(r"\s+(?:\d{1,3}[.)]|[-*•])\s")
# Ends pysbd misses that the regex before it found, put back: "Yes!!! Okay." (pysbd keeps a run
# of ! or ? with what follows); a single capital after a lowercase word ("we chose vendor A. I",
# "plan B. Then"), which it takes for an initial; and ordinary words its abbreviation list holds
# ("to me. I", "under 100 ms. Then", "600 ms. \"}", "three reps. They", "Acme Corp. I led"): before
# anything but a lowercase word, a number or a bracket, and before "I" whatever the word, they end
# a sentence. Not "vs." or "et al." ("React vs. Vue").
_ABBREVIATIONS: list[str] = pysbd.languages.Language.get_language_code("en").Abbreviation.ABBREVIATIONS
_ABBREVIATION_WORDS = sorted({a for a in _ABBREVIATIONS if a.isalpha() and len(a) > 1} - {"al", "cf", "esp", "viz", "vs"})
_MISSED_END = re.compile(
    r"(?:[!?]+|\b[a-z]{2,} [A-Z]\.)(?=\s+[\"'“‘(]?[A-Z])"
    r"|\b(?:%s)\.(?=\s+[^\sa-z0-9#(])" % "|".join(_ABBREVIATION_WORDS)
    + r"|\b[A-Za-z]{2,}\.(?=\s+I(?:\s|'[a-z]))"
)


def sentences(text: str) -> list[Span]:
    """Sentence spans (start, end) into `text`, trimmed of surrounding whitespace, in order."""
    return list(_spans(text))


def sentence_texts(text: str) -> list[str]:
    """The sentences of `text` as strings (same splitting as `sentences`)."""
    return [text[start:end] for start, end in sentences(text)]


# Callers split the same answer many times (each signal's quote, each claim, each rewrite); pysbd
# is far slower than the old regex, so each text is read once.
@lru_cache(maxsize=256)
def _spans(text: str) -> tuple[Span, ...]:
    spans: list[Span] = []
    for line in _LINE.finditer(text):
        for start, end in _pieces(text, line.start(), line.end()):
            spans.extend(_split(text, start, end))
    return tuple(spans)


def _pieces(text: str, start: int, end: int) -> list[Span]:
    """A line cut into pieces of about `_PIECE` characters (see `_CUTS`)."""
    pieces: list[Span] = []
    while end - start > _PIECE:
        cut = _cut(text, start, start + _PIECE) or _cut(text, start + _PIECE, end, first=True)
        if cut is None or cut >= end:
            break
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def _cut(text: str, start: int, end: int, first: bool = False) -> int | None:
    """The last place of the best kind in text[start:end] to cut a long line (or the `first`
    place the regex would end a sentence)."""
    if first:
        found = _CUTS[-1].search(text, start, end)
        return found.end() if found else None
    for kind in _CUTS:
        ends = [m.end() for m in kind.finditer(text, start, end)]
        if ends:
            return ends[-1]
    return None


def _split(text: str, start: int, end: int) -> list[Span]:
    """One piece of a line in sentences: pysbd's ends when it reads the piece, else the regex's."""
    piece = text[start:end]
    found = _pysbd_ends(piece) if len(piece) <= _PYSBD_MAX else None
    if found is None:
        spans = (_trim(text, m.start(), m.end()) for m in _SIMPLE.finditer(text, start, end))
        return [span for span in spans if span is not None]
    cuts = {cut for cut in found if _ends_sentence(piece, cut)}
    cuts |= {m.end() for m in _MISSED_END.finditer(piece)}
    sentences_: list[Span] = []
    previous = 0
    for cut in [*sorted(cuts), len(piece)]:
        # Consecutive pieces, so a character pysbd left out still belongs to a sentence.
        span = _trim(text, start + previous, start + cut)
        if span is not None:
            sentences_.append(span)
        previous = cut
    return sentences_


def _ends_sentence(piece: str, cut: int) -> bool:
    """Whether an end pysbd found is one: at a space, after . ! ? or … (and any closing quote or
    bracket), or before a list item. pysbd also cuts inside tokens (".env", "<!--", "!tbaa",
    "5s.'") and inside code ("SELECT s.plan"); those ends it may not add, only take away."""
    if cut < len(piece) and not piece[cut].isspace():
        return False
    if _LIST_ITEM.match(piece, cut):
        return True
    at = cut
    while at > 0 and piece[at - 1] in _CLOSERS:
        at -= 1
    return at > 0 and piece[at - 1] in ".!?…"


def _pysbd_ends(piece: str) -> list[int] | None:
    """Where pysbd ends each sentence of `piece` (strictly increasing offsets), or None when it
    fails or returns a sentence that is not in the piece as written."""
    shown = _REFERENCE_BRACKET.sub("_", piece)
    try:
        found = _SEGMENTER.processor(shown).process()
    # pysbd has raised IndexError and re.error on real text in past releases; any failure of a
    # third-party splitter degrades to the simple split, never to a lost answer.
    except Exception:  # noqa: BLE001
        return None
    ends: list[int] = []
    position = 0
    for sentence in found or ():
        said = str(sentence).strip()
        if not said:
            continue
        at = shown.find(said, position)
        if at < 0:
            return None
        position = at + len(said)
        ends.append(position)
    return ends


def _trim(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None
