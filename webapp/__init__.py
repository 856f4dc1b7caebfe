"""Chainlit-specific glue for the browser app: one module per use case the handlers in app.py
call, the per-chat state, data layer, file storage, auth and the runtime; plain-data helpers in
webapp.support; every use of Chainlit's internals in webapp.chainlit_internals.

Kept out of `interviewer/` on purpose: the core package must never import Chainlit.
"""
