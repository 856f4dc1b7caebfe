"""One fake chat model for unit tests: its reply is computed by a function of the messages.

In the spirit of pydantic-ai's `FunctionModel`: a real `BaseChatModel` (so `ainvoke`, `astream`,
`bind_tools` and `with_structured_output` go through langchain's own code), whose replies come
first from a queue and then from a default. A reply is any of:

- a string (an assistant message with that text),
- an `AIMessage` (e.g. with `tool_calls`, for the evaluator's function calling),
- an exception instance (raised, like a server that is down or a timeout),
- a function of the messages returning a string or an `AIMessage`.

Streaming yields the reply's text word by word (`astream`), so code that reads a stream sees
several chunks. Every call's messages are kept in `calls`, and the tools the model was bound to
in `bound_tools`. HTTP-level behaviour (retries, status codes, cut streams) is not faked here:
use `httpx.MockTransport` with `make_chat_model`, or the loopback `FakeLLMServer`.

    model = FunctionChatModel(default=lambda messages: "What happened next?")
    model.queue("First question?", ConnectionError("refused"))
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, Union

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from pydantic import Field

ReplyFunction = Callable[[list[BaseMessage]], Union[str, AIMessage]]
Reply = Union[str, AIMessage, BaseException, ReplyFunction]


class NoReplyScripted(AssertionError):
    """The model was called more often than the test scripted."""


class FunctionChatModel(BaseChatModel):
    """A chat model answering from a queue of replies, then from `default` (see module doc)."""

    replies: list[Any] = Field(default_factory=list)  # Reply items, used first, in order
    default: Any = None  # a Reply used whenever the queue is empty (None: calling is an error)
    delay: float = 0.0  # seconds before every async reply (and between streamed words)
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    bound_tools: list[Any] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "function-chat-model"

    def queue(self, *replies: Reply) -> FunctionChatModel:
        """Add replies to the end of the queue; returns the model (for chaining)."""
        self.replies.extend(replies)
        return self

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any) -> Runnable[LanguageModelInput, AIMessage]:
        # The same object, not a copy: the test reads `calls` on the model it made.
        self.bound_tools = list(tools)
        return self

    # -- the reply ---------------------------------------------------------------------------
    def reply_to(self, messages: list[BaseMessage]) -> AIMessage:
        self.calls.append(list(messages))
        item = self.replies.pop(0) if self.replies else self.default
        if item is None:
            raise NoReplyScripted(f"call {len(self.calls)}: no reply queued and no default")
        if isinstance(item, BaseException):
            raise item
        if callable(item):
            item = item(list(messages))
        return item if isinstance(item, AIMessage) else AIMessage(content=str(item))

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.reply_to(messages))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.delay:
            await asyncio.sleep(self.delay)
        return ChatResult(generations=[ChatGeneration(message=self.reply_to(messages))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        yield from _chunks(self.reply_to(messages))

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        if self.delay:
            await asyncio.sleep(self.delay)
        for chunk in _chunks(self.reply_to(messages)):
            yield chunk
            if self.delay:
                await asyncio.sleep(self.delay)


def _chunks(message: AIMessage) -> Iterator[ChatGenerationChunk]:
    """The text word by word (spaces kept), then any tool calls in a final chunk."""
    text = message.content if isinstance(message.content, str) else ""
    words = text.split(" ")
    for i, word in enumerate(words):
        piece = word + (" " if i < len(words) - 1 else "")
        if piece:
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
    if message.tool_calls:
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                tool_call_chunks=[
                    {"name": c["name"], "args": _json(c["args"]), "id": c.get("id"), "index": i, "type": "tool_call_chunk"}
                    for i, c in enumerate(message.tool_calls)
                ],
            )
        )


def _json(args: dict[str, Any]) -> str:
    return json.dumps(args)
