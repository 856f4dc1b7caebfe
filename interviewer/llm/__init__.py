"""Model access: one OpenAI-protocol path (langchain-openai) for every backend."""

from interviewer.llm.provider import LLMRuntime, Role, make_chat_model

__all__ = ["LLMRuntime", "Role", "make_chat_model"]
