"""The one sentence splitter (interviewer/text.py): what a reader of the answer would call a
sentence, spans that map back onto the text exactly, and no failure or slow input that loses,
doubles or reorders a sentence."""

from __future__ import annotations

import random

import pytest

from interviewer import text as text_mod
from interviewer.text import sentence_texts, sentences


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        # Abbreviations and times do not end a sentence.
        (
            "I spoke to Dr. Smith at 3 p.m. about it, e.g. the cache. Then Mr. Jones left, i.e. he quit.",
            ["I spoke to Dr. Smith at 3 p.m. about it, e.g. the cache.", "Then Mr. Jones left, i.e. he quit."],
        ),
        (
            "We used Redis, Kafka, etc. and it worked. Mrs. Lee agreed at 9 a.m. on Monday.",
            ["We used Redis, Kafka, etc. and it worked.", "Mrs. Lee agreed at 9 a.m. on Monday."],
        ),
        ("It was 5 p.m. The build broke.", ["It was 5 p.m.", "The build broke."]),
        # Decimals, percentages, versions.
        (
            "Latency went from 3.5 s to 1.2 s. Uptime was 99.9% after that.",
            ["Latency went from 3.5 s to 1.2 s.", "Uptime was 99.9% after that."],
        ),
        (
            "We upgraded the driver to v2.1.3 first. Python 3.11 made it faster.",
            ["We upgraded the driver to v2.1.3 first.", "Python 3.11 made it faster."],
        ),
        # URLs, file names and e-mail addresses.
        (
            "The docs are at https://example.com/a.b and they helped. Next we moved on.",
            ["The docs are at https://example.com/a.b and they helped.", "Next we moved on."],
        ),
        (
            "Mail me at jane.doe@example.com for details. I answer fast.",
            ["Mail me at jane.doe@example.com for details.", "I answer fast."],
        ),
        (
            "Someone copied the local .env file into prod. It leaked.",
            ["Someone copied the local .env file into prod.", "It leaked."],
        ),
        # Lists: each item its own sentence, whether on lines or on one line.
        (
            "1. Reproduce the bug\n2. Fix it\n3. Add a test",
            ["1. Reproduce the bug", "2. Fix it", "3. Add a test"],
        ),
        ("- reproduced it\n- fixed it\n* added a test", ["- reproduced it", "- fixed it", "* added a test"]),
        (
            "Steps: 1. reproduce it 2. fix it 3. add a test.",
            ["Steps:", "1. reproduce it", "2. fix it", "3. add a test."],
        ),
        # Quotes stay with their sentence; a quoted stop ends it when a new sentence follows.
        ("He said 'stop.' Then we left.", ["He said 'stop.'", "Then we left."]),
        ('He said "stop." Then we left.', ['He said "stop."', "Then we left."]),
        (
            'I asked "would you understand this at 3 a.m.?" rather than "is this clever?"',
            ['I asked "would you understand this at 3 a.m.?" rather than "is this clever?"'],
        ),
        # Ellipses, question and exclamation marks.
        ("I waited... Then it crashed.", ["I waited...", "Then it crashed."]),
        (
            "Really?! Yes!!! Why did it fail? Because the pool was full!",
            ["Really?!", "Yes!!!", "Why did it fail?", "Because the pool was full!"],
        ),
        # Line breaks always end a sentence, even without punctuation.
        (
            "First line\nSecond line. Third one.\r\n\n  Last  ",
            ["First line", "Second line.", "Third one.", "Last"],
        ),
        # Ordinary words pysbd lists as abbreviations ("me", "ms", "Corp", "reps") still end one.
        (
            "It came naturally to me. I quickly learned. Pauses dropped to 100 ms. Then I added an alert.",
            ["It came naturally to me.", "I quickly learned.", "Pauses dropped to 100 ms.", "Then I added an alert."],
        ),
        ("I was at Acme Corp. I led the team.", ["I was at Acme Corp.", "I led the team."]),
        ("We chose vendor A. I learned a lot.", ["We chose vendor A.", "I learned a lot."]),
        ("React vs. Vue was the choice.", ["React vs. Vue was the choice."]),
        # What the regex before pysbd did, unchanged for plain sentences.
        (
            "The reports page took nine seconds. I ran EXPLAIN and saw a sequential scan.",
            ["The reports page took nine seconds.", "I ran EXPLAIN and saw a sequential scan."],
        ),
        ("It used node.js and e.g.x here. Fine.", ["It used node.js and e.g.x here.", "Fine."]),
    ],
)
def test_whole_sentences(said: str, expected: list[str]) -> None:
    assert sentence_texts(said) == expected


def _check_spans(said: str) -> list[tuple[int, int]]:
    """Spans map back onto the text, are trimmed, in order and never overlap; nothing but
    whitespace is left between them."""
    spans = sentences(said)
    previous = 0
    for start, end in spans:
        assert previous <= start < end <= len(said)
        piece = said[start:end]
        assert piece == piece.strip()
        assert not said[previous:start].strip(), said[previous:start]
        previous = end
    assert not said[previous:].strip()
    return spans


def test_spans_map_back_onto_the_exact_text() -> None:
    said = "  I spoke to Dr. Smith.\n\n- It took 3.5 s.  Then v2.1.3 shipped!  "
    spans = _check_spans(said)
    assert [said[s:e] for s, e in spans] == sentence_texts(said)
    assert sentence_texts(said) == ["I spoke to Dr. Smith.", "- It took 3.5 s.", "Then v2.1.3 shipped!"]


@pytest.mark.parametrize("said", ["", " ", "\n\n", " \t\r\n "])
def test_empty_or_whitespace_gives_no_sentence(said: str) -> None:
    assert sentences(said) == []
    assert sentence_texts(said) == []


def test_callers_get_their_own_list() -> None:
    said = "One. Two."
    first = sentences(said)
    first.clear()
    assert sentences(said) == [(0, 4), (5, 9)]


def test_very_long_input_runs() -> None:
    """50,000 characters of prose, of one abbreviation repeated, and of one line without a full
    stop: read without a timed assertion (pysbd is quadratic in what it reads at once, so long
    lines are read in pieces) and still cut well."""
    story = "I spoke to Dr. Smith at 3 p.m. about the cache, which went from 3.5 s to 1.2 s. Then we shipped v2.1.3! "
    prose = (story * (50_000 // len(story) + 1))[:50_000]
    spans = _check_spans(prose)
    assert prose[spans[0][0] : spans[0][1]] == "I spoke to Dr. Smith at 3 p.m. about the cache, which went from 3.5 s to 1.2 s."
    assert len(spans) >= 2 * (50_000 // len(story))
    _check_spans("Dr. " * 12_500)
    _check_spans("word " * 10_000)
    _check_spans("- an item on its own line\n" * 2_000)


@pytest.mark.parametrize(
    "said",
    [
        # pysbd's numbered-reference rule never returns on these (pySBD issue 79).
        "..[111 111 111 111 111 111 111 111 111 111]",
        "see the list.[111 111 111 111 111 111 111 111 111 111 111 111 111 111 111 111] ok. Next one.",
        "......[289852000000260698,289852000000260744",
    ],
)
def test_inputs_that_hang_pysbd_are_read(said: str) -> None:
    _check_spans(said)


def test_a_pysbd_failure_falls_back_to_the_simple_split(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def processor(self, piece: str) -> object:
            raise IndexError("list index out of range")

    monkeypatch.setattr(text_mod, "_SEGMENTER", Broken())
    said = "Something new the cache has not seen. It went from 3.5 s to 1 s!\nDone"
    assert sentence_texts(said) == ["Something new the cache has not seen.", "It went from 3.5 s to 1 s!", "Done"]
    _check_spans(said)


def test_a_sentence_pysbd_rewrote_falls_back_to_the_simple_split(monkeypatch: pytest.MonkeyPatch) -> None:
    class Rewriting:
        def processor(self, piece: str) -> object:
            class Processor:
                def process(self) -> list[str]:
                    return ["not in the text at all."]

            return Processor()

    monkeypatch.setattr(text_mod, "_SEGMENTER", Rewriting())
    said = "A different text, so not cached. Two sentences."
    assert sentence_texts(said) == ["A different text, so not cached.", "Two sentences."]


def test_random_text_keeps_the_contract() -> None:
    """Spans in order, never overlapping, covering every non-space character, on text made of
    the characters sentence splitters trip over."""
    rng = random.Random(26)
    alphabet = list("abc ABC I.!?\"'()[]…\n-*1 2 3") + ["Dr.", " e.g. ", " p.m. ", " me. I ", "3.5", "<!--", "∯"]
    for _ in range(300):
        _check_spans("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))))
