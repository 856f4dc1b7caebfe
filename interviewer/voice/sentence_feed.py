"""Questions spoken as they stream: whole sentences are handed out as soon as they are complete,
so the voice starts with the first sentence, not after the last."""

from __future__ import annotations

import re

from interviewer.text import sentences


# Words the text after a boundary must have before the sentences before it are final (a few
# tokens of delay, about 0.1 s of streaming).
SETTLED_WORDS = 3
LIST_NUMBER = re.compile(r"(?:^|\s)\d{1,3}\.$")


class SentenceFeed:
    """Collects streamed text; `feed` returns the sentences that just became complete."""

    def __init__(self) -> None:
        self._text = ""
        self._given = 0  # characters already handed out

    def feed(self, token: str) -> list[str]:
        self._text += token
        spans = self._open_spans()
        # The last sentence may still grow ("Dr." -> "Dr. Smith ..."), and the splitter may still
        # move the boundary before it ("Steps: 1. r" splits as "Steps: 1." + "r" until "2. f"
        # arrives and makes it "Steps:" + "1. r... "): the sentences before the last are handed
        # out only once the last has a few words, when the split has settled.
        if len(spans) < 2 or len(self._text[spans[-1][0] :].split()) < SETTLED_WORDS:
            return []
        complete = spans[:-1]
        # "My plan: 1." followed by "Reproduce the bug": a list item's number, which the next
        # number ("2. Fix") will move to the start of its item: held until the split settles.
        while complete and LIST_NUMBER.search(self._text[complete[-1][0] : complete[-1][1]].rstrip()):
            complete = complete[:-1]
        if not complete:
            return []
        self._given = complete[-1][1]
        return [d for start, end in complete if (d := self._text[start:end].strip())]

    def flush(self) -> list[str]:
        """The stream ended: the rest, sentence by sentence."""
        spans = self._open_spans()
        self._given = len(self._text)
        return [d for start, end in spans if (d := self._text[start:end].strip())]

    def _open_spans(self) -> list[tuple[int, int]]:
        """The sentences not handed out yet, split with the whole text before them as context
        (a list's "3." alone would split differently from "... 2. Fix it 3. Add")."""
        return [(max(start, self._given), end) for start, end in sentences(self._text) if end > self._given]
