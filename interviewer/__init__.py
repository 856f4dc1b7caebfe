"""A mock interviewer: persona-driven interviews, an evidence-based evaluator, a feedback report.

Framework-free core: nothing in this package imports Chainlit (app.py is the only shell).
"""

__version__ = "0.1.0"
