"""Chainlit-specific glue for the browser app: data layer, file storage, auth and the runtime.

Kept out of `interviewer/` on purpose: the core package must never import Chainlit.
"""
