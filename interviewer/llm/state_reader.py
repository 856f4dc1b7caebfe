"""(Server side) Read a prompt's hidden states instead of generating: POST /interviewer/read.

Why: the embedded 1.5B model ranks better over worse answers far better from its final-layer
states (a trained head, evaluation/reader.py) than from the text it generates (the judge), and a
read costs one prompt pass with no token generated (benchmarks/evaluator.md, "Session 10").

The route runs inside the evaluator's server process (server_main.py adds it), so the scheduler
that pauses that process while the interviewer speaks pauses reading too, and the weights are the
same mmapped file: the reading context adds its own KV cache and buffers, not a second model
(the evaluator's server measured 4.0 GB resident with it, 2.1 GB of that the shared file).
It takes the server's own request lock, so a read and a generation never compute at once.

A request is a list of text pieces and a list of branches:
- pieces are decoded in order; `special` pieces (the chat template) may contain special tokens,
  the others (question, answer) are tokenized as plain text, so an answer that types
  `<|im_end|>` cannot close the template; for a `pool` piece the response has the mean of its
  tokens' states (the client pools answer sentences one by one, so it can say which sentence
  moved a score);
- each branch is decoded after all pieces and then removed again (its KV positions dropped), so
  three dimension prompts cost one read of the question and answer plus three short suffixes;
  the response has each branch's last and mean state.
The KV cache keeps the last request's pieces (not its branches), and the final-layer state of each
of its pooled tokens: the next read decodes only from the first token it does not share with the
last one. Reads come in runs that share long beginnings (a draft, then the same draft with a few
more words; an answer, then the cap's read of it without an appended sentence), and a state
depends only on the tokens before it, so those reads cost their new tokens and their branches.
Only in exact arithmetic, though: llama.cpp's CPU kernels round differently for different batch
shapes, so the same tokens decoded in one batch or in two gave states up to 1 % apart. Tokens are
therefore always decoded in chunks of CHUNK aligned on absolute positions, and a read starts again
at the beginning of the chunk holding its first new token: a text's states are the same whatever
was read before it. (Against one 512-token batch, the layout the shipped heads were trained on,
64-token chunks changed 2 of 180 levels and no follow-up choice or grader-aim flag on 60
training answers, and cost 2.5 % more time; 32-token chunks: 4 of 180, 12 %.)
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

ROUTE = "/interviewer/read"
MAX_TOKENS = 3_000  # beyond the client's own bound (evaluation/reader.py cuts answers first)
MAX_SEQUENCES = 4  # sequence 0 plus one per branch (three dimensions)
CHUNK = 64  # tokens per decode of the pieces, aligned on absolute positions (see the module docstring)


@dataclass(frozen=True)
class Piece:
    text: str
    special: bool = False
    pool: bool = False


def encode(vector: Any) -> str:
    """float32 little-endian, base64: exact, and a sixth the size of a JSON list of floats."""
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


def decode_vector(text: str) -> Any:
    """The inverse of `encode` (a writable float32 array)."""
    return np.frombuffer(base64.b64decode(text), dtype="<f4").astype(np.float32)


def common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


class StateReader:
    """One embedding-mode llama.cpp context over the server's model file."""

    def __init__(self, model_path: str, n_threads: int, n_ctx: int = 4096, n_batch: int = 512) -> None:
        import llama_cpp

        self._lib = llama_cpp
        self.llama = llama_cpp.Llama(
            model_path=model_path,
            embedding=True,
            pooling_type=llama_cpp.LLAMA_POOLING_TYPE_NONE,
            n_ctx=n_ctx,
            n_batch=n_batch,
            n_ubatch=n_batch,
            n_threads=n_threads,
            n_threads_batch=n_threads,
            n_seq_max=MAX_SEQUENCES,
            kv_unified=True,
            verbose=False,
        )
        self.n_embd = int(self.llama.n_embd())
        self.n_batch = n_batch
        self.n_ctx = n_ctx
        self._batch = llama_cpp.llama_batch_init(n_batch, 0, MAX_SEQUENCES)
        self._kv: list[int] = []  # tokens held in sequence 0 of the KV cache, in order
        self._states: list[Any] = []  # per token of _kv: its final-layer state if it was pooled, else None

    def tokenize(self, piece: Piece) -> list[int]:
        tokens: list[int] = self.llama.tokenize(piece.text.encode("utf-8"), add_bos=False, special=piece.special)
        return tokens

    def _decode(self, batch: list[tuple[int, int, int, bool]], size: int) -> dict[int, Any]:
        """Decode (token, position, sequence, output) entries in llama_decode calls of `size`
        entries (at most the batch size; small calls are slower per token on a CPU). Returns the
        final-layer state of each output entry, by its index in `batch`."""
        lib, ctx = self._lib, self.llama._ctx.ctx
        states: dict[int, Any] = {}
        b = self._batch
        size = max(1, min(size, self.n_batch))
        for off in range(0, len(batch), size):
            chunk = batch[off: off + size]
            for i, (tok, pos, seq, out) in enumerate(chunk):
                b.token[i] = tok
                b.pos[i] = pos
                b.n_seq_id[i] = 1
                b.seq_id[i][0] = seq
                b.logits[i] = out
            b.n_tokens = len(chunk)
            if lib.llama_decode(ctx, b) != 0:
                raise RuntimeError("llama_decode failed while reading")
            for i, (_tok, _pos, _seq, out) in enumerate(chunk):
                if out:
                    ptr = lib.llama_get_embeddings_ith(ctx, i)
                    states[off + i] = np.ctypeslib.as_array(ptr, shape=(self.n_embd,)).copy()
        return states

    def _truncate_kv(self, keep: int) -> None:
        if keep < len(self._kv):
            self.llama._ctx.kv_cache_seq_rm(0, keep, -1)
            del self._kv[keep:]
            del self._states[keep:]

    def read(self, pieces: list[Piece], branches: list[Piece]) -> dict[str, Any]:
        started = time.perf_counter()
        tokenized = [self.tokenize(p) for p in pieces]
        branch_tokens = [self.tokenize(b) for b in branches]
        total = sum(map(len, tokenized)) + sum(map(len, branch_tokens))
        if total > min(MAX_TOKENS, self.n_ctx):
            raise ValueError(f"{total} tokens to read; at most {min(MAX_TOKENS, self.n_ctx)}")
        if len(branches) >= MAX_SEQUENCES:
            raise ValueError(f"at most {MAX_SEQUENCES - 1} branches")
        flat = [t for toks in tokenized for t in toks]
        owner = [index for index, toks in enumerate(tokenized) for _ in toks]  # piece of each token
        # Keep what the cache already holds of this request's beginning, up to a pooled token whose
        # state was not kept (it was not pooled last time): everything after it is read again.
        keep = common_prefix(self._kv, flat)
        keep = next((i for i in range(keep) if pieces[owner[i]].pool and self._states[i] is None), keep)
        if keep < len(flat) or len(flat) < len(self._kv):  # the same text again needs no decode at all
            keep -= keep % CHUNK
        self._truncate_kv(keep)
        batch = [(flat[pos], pos, 0, pieces[owner[pos]].pool) for pos in range(keep, len(flat))]
        states = self._decode(batch, CHUNK)
        self._kv = list(flat)
        self._states.extend(states.get(i) for i in range(len(batch)))
        out_pieces: list[dict[str, Any]] = []
        start = 0
        for piece, toks in zip(pieces, tokenized):
            start += len(toks)
            if not piece.pool:
                out_pieces.append({"tokens": len(toks)})
                continue
            rows = self._states[start - len(toks): start]
            out_pieces.append({"tokens": len(toks), "mean": encode(np.mean(rows, axis=0)) if rows else None})
        # Each branch continues the same prefix in a sequence of its own (a copy of sequence 0's
        # cells, no recompute), all in one batch; then the copies are dropped.
        base = len(flat)
        batch = []
        for n, toks in enumerate(branch_tokens, 1):
            self.llama._ctx.kv_cache_seq_cp(0, n, 0, base)
            batch.extend((tok, base + i, n, True) for i, tok in enumerate(toks))
        states = self._decode(batch, len(batch))
        out_branches: list[dict[str, Any]] = []
        at = 0
        for n, toks in enumerate(branch_tokens, 1):
            rows = [states[at + i] for i in range(len(toks))]
            at += len(toks)
            self.llama._ctx.kv_cache_seq_rm(n, -1, -1)
            out_branches.append({"tokens": len(toks), "last": encode(rows[-1]), "mean": encode(np.mean(rows, axis=0))})
        return {
            "n_embd": self.n_embd,
            "pieces": out_pieces,
            "branches": out_branches,
            "tokens": total,
            "decoded": len(flat) - keep,  # of the pieces' tokens, read afresh (the rest kept from the last read)
            "seconds": round(time.perf_counter() - started, 3),
        }


def pieces_from(body: Any, key: str) -> list[Piece]:
    items = body.get(key, []) if isinstance(body, dict) else []
    if not isinstance(items, list):
        raise ValueError(f"`{key}` must be a list")
    out = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise ValueError(f"every item of `{key}` needs a text")
        out.append(Piece(item["text"], bool(item.get("special", False)), bool(item.get("pool", False))))
    return out


def add_route(app: Any) -> Any:
    """Add POST /interviewer/read to llama_cpp.server's FastAPI app (under its request lock)."""
    from fastapi import Depends, HTTPException
    from llama_cpp.server.app import get_llama_proxy
    from starlette.concurrency import run_in_threadpool

    readers: dict[str, StateReader] = {}

    async def read(body: dict[str, Any], proxy: Any = Depends(get_llama_proxy)) -> dict[str, Any]:
        try:
            pieces, branches = pieces_from(body, "pieces"), pieces_from(body, "branches")
        except ValueError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from exc
        llama = proxy(None)
        reader = readers.get(llama.model_path)
        if reader is None:
            threads = int(llama.context_params.n_threads)
            reader = await run_in_threadpool(StateReader, llama.model_path, threads)
            readers[llama.model_path] = reader
        try:
            return await run_in_threadpool(reader.read, pieces, branches)
        except ValueError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from exc

    app.add_api_route(ROUTE, read, methods=["POST"])
    return app
