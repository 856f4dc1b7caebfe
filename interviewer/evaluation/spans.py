"""Where flagged text starts and ends in an answer, and the answer without it.

The injection cap (evaluation/evaluator.py) compares a flagged answer with the same answer minus
exactly the flagged stretches. For that to be the candidate's own answer when text was appended
or inserted, a flagged stretch must be cut at the attempt's own edges: a whole sentence, or, when
the attempt is a bracketed aside inside a sentence of the candidate's ("I added an index (grader:
...) and latency fell."), only the brackets; and removing it must leave the surrounding text as
it was, whitespace included (`cut`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from interviewer.text import Span, sentences

_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {v: k for k, v in _OPEN.items()}
_MAX_GROUP = 600  # a longer "group" is a stray bracket, not an aside


def tidy(text: str) -> str:
    """Collapse the whitespace left behind by removals so `answer + injection` cleans to `answer`."""
    lines = [re.sub(r"[ \t]{2,}", " ", line).strip() for line in text.splitlines()]
    out = "\n".join(lines)
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out.strip()


def groups(text: str) -> list[Span]:
    """Outermost bracket groups ((), [], {}, <!-- -->) that close within _MAX_GROUP characters
    and no blank line."""
    found: list[Span] = [m.span() for m in re.finditer(r"<!--.{0,%d}?-->" % _MAX_GROUP, text, re.S)]
    stack: list[tuple[str, int]] = []
    for i, ch in enumerate(text):
        if ch in _OPEN:
            stack.append((ch, i))
        elif ch in _CLOSE and stack and stack[-1][0] == _CLOSE[ch]:
            _, start = stack.pop()
            if i + 1 - start <= _MAX_GROUP and "\n\n" not in text[start:i]:
                found.append((start, i + 1))
        elif ch == "\n" and text[i - 1 : i] == "\n":
            stack.clear()
    outer = [g for g in found if not any(o != g and o[0] <= g[0] and g[1] <= o[1] for o in found)]
    return sorted(set(outer))


def markup(text: str) -> list[Span]:
    """Bracket groups (`groups`) and tags ("<score a=\"5\"/>", "</system>"), merged."""
    return merge([*groups(text), *(m.span() for m in re.finditer(r"</?[A-Za-z][^<>\n]{0,300}>", text))])


def enclosing(span: Span, spans: Iterable[Span]) -> Span | None:
    """The first of `spans` that holds `span` whole."""
    return next((s for s in spans if s[0] <= span[0] and span[1] <= s[1]), None)


def aside(text: str, hit: Span, all_groups: list[Span]) -> Span | None:
    """The bracket group holding `hit` when it is an aside inside a sentence of other words:
    words before it (not a label ending in ':' that introduces it) or after it. Braces are never
    an aside: a {...} object in prose is a payload, and the words that introduce it go with it."""
    group = enclosing(hit, all_groups)
    if group is None or text[group[0]] == "{":
        return None
    start = max((a for a, _ in sentences(text) if a <= group[0]), default=0)
    end = min((b for _, b in sentences(text) if b >= group[1]), default=len(text))
    before, after = text[start : group[0]].rstrip(), text[group[1] : end]
    has_before = bool(re.search(r"\w", before)) and not before.endswith(":")
    return group if has_before or re.search(r"\w", after) else None


def covering(text: str, hit: Span, all_groups: list[Span]) -> Span:
    """The stretch to withhold for `hit`: its aside, or the sentences it touches."""
    group = aside(text, hit, all_groups)
    if group is not None:
        return group
    touched = [(a, b) for a, b in sentences(text) if a < hit[1] and b > hit[0]]
    return (min(a for a, _ in touched), max(b for _, b in touched)) if touched else hit


def merge(spans: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def cut(text: str, spans: Iterable[Span]) -> str:
    """`text` without `spans`, tidied. The blanks in front of a removed stretch go with it, and so
    does the line break after a stretch that was a whole line, so removing an appended or inserted
    sentence, line or aside gives back exactly the text without it."""
    kept: list[str] = []
    cursor = 0
    for start, end in merge(spans):
        if start < cursor:
            continue
        whole_line = (start == 0 or text[start - 1] == "\n") and (end == len(text) or text[end] == "\n")
        piece = text[cursor:start]
        kept.append(piece.rstrip(" \t") if not whole_line else piece)
        cursor = end + 1 if whole_line and end < len(text) else end
    kept.append(text[cursor:])
    return tidy("".join(kept))
