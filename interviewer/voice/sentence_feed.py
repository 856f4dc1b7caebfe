"""Questions spoken as they stream: whole sentences are handed out as soon as they are complete,
so the voice starts with the first sentence, not after the last."""

from __future__ import annotations

from interviewer.text import sentences


class SentenceFeed:
    """Collects streamed text; `feed` returns the sentences that just became complete."""

    def __init__(self) -> None:
        self._text = ""
        self._given = 0  # characters already handed out

    def feed(self, token: str) -> list[str]:
        self._text += token
        pending = self._text[self._given :]
        spans = sentences(pending)
        # The last sentence may still grow ("Dr." -> "Dr. Smith ..."): only the ones before it
        # are complete, which is known once the text after them has started.
        if len(spans) < 2:
            return []
        done = [pending[start:end].strip() for start, end in spans[:-1]]
        self._given += spans[-1][0]
        return [d for d in done if d]

    def flush(self) -> list[str]:
        rest = self._text[self._given :].strip()
        self._given = len(self._text)
        return [rest] if rest else []
