"""Token counting works offline from the encodings shipped in a registry package."""

from __future__ import annotations

import os

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from interviewer import tokens


def test_both_encodings_are_available_offline() -> None:
    # The network guard (conftest) would fail this test if tiktoken tried to download anything.
    assert set(tokens.install_offline_encodings()) == {"cl100k_base", "o200k_base"}
    assert os.environ["TIKTOKEN_CACHE_DIR"] == str(tokens.tiktoken_cache_dir())
    assert tokens.count_tokens("hello world", "gpt-4o") == 2
    assert tokens.count_tokens("hello world") == 2


def test_encoding_choice_follows_the_model_family() -> None:
    assert tokens.encoding_for_model("gpt-4o-mini") == "o200k_base"
    assert tokens.encoding_for_model("qwen2.5-coder") == "cl100k_base"


def test_truncate_keeps_short_text_and_cuts_long_text() -> None:
    assert tokens.truncate_to_tokens("short answer", 50) == ("short answer", False)
    long = "word " * 5000
    cut, truncated = tokens.truncate_to_tokens(long, 100)
    assert truncated and tokens.count_tokens(cut) <= 100 and long.startswith(cut)


def test_trim_history_keeps_system_prompt_and_latest_turns() -> None:
    history = [SystemMessage("You are an interviewer.")]
    for i in range(40):
        history += [AIMessage(f"question {i} " + "x " * 30), HumanMessage(f"answer {i} " + "y " * 30)]
    trimmed = tokens.trim_history(history, max_tokens=400)
    assert trimmed[0] == history[0]
    assert trimmed[-1] == history[-1]
    assert tokens.count_message_tokens(trimmed) <= 400 < tokens.count_message_tokens(history)


def test_paged_trimming_keeps_the_prompt_prefix_stable_for_several_turns() -> None:
    system = SystemMessage("You are an interviewer.")
    lines: list = []
    firsts = []
    for i in range(60):
        lines.append(HumanMessage(f"line {i} " + "z " * 40))
        kept = tokens.trim_history_paged([system, *lines], max_tokens=600)
        assert kept[0] == system and kept[-1] == lines[-1]
        assert tokens.count_message_tokens(kept) <= 600
        firsts.append(kept[1].content)
    # Line-by-line trimming changes the first kept line every turn once full; pages change it
    # only when a whole page is dropped.
    changes = sum(1 for a, b in zip(firsts, firsts[1:]) if a != b)
    line_by_line = [tokens.trim_history([system, *lines[: n + 1]], 600)[1].content for n in range(60)]
    line_changes = sum(1 for a, b in zip(line_by_line, line_by_line[1:]) if a != b)
    assert changes * 3 <= line_changes
