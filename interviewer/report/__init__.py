"""The end-of-session feedback report: one entry point for the CLI, the app and the tests.

    report = await build_report(session, previous=earlier_sessions, rewriter=model_or_None)
    render_markdown(report) / render_html(report) / render_json(report) / render_pdf(report)
    plotly_figure(report)

The report is built from a Session alone (no Chainlit), so every surface shows the same thing.
Pieces: model (the versioned data), build (Session -> Report), advice (objectives, practice),
rewrite (SARL rewrites with a fact check), rubric_view (level texts), consistency (the claim
ledger's contradictions and the candidate's replies), text (shared wording), and render/ with one
module per format (HTML and Markdown from the Jinja2 templates in render/templates/).

This package imports its modules, never the other way round: a module here imports its siblings
by their own names (`import interviewer.report.text as fmt`), not `from interviewer.report import`,
so this __init__ and the renderers it re-exports form no circle (tests/test_architecture.py).
"""

from __future__ import annotations

from collections.abc import Callable

from interviewer.report.build import build_report
from interviewer.report.progress import session_means
from interviewer.report.render.chart import plotly_figure, svg_chart
from interviewer.report.render.html import render_html
from interviewer.report.render.markdown import render_json, render_markdown
from interviewer.report.model import REPORT_SCHEMA_VERSION, Report
from interviewer.report.render.pdf import render_pdf

RENDERERS: dict[str, Callable[[Report], str | bytes]] = {
    "md": render_markdown,
    "html": render_html,
    "json": render_json,
    "pdf": render_pdf,
}

__all__ = [
    "REPORT_SCHEMA_VERSION",
    "RENDERERS",
    "Report",
    "build_report",
    "plotly_figure",
    "render_html",
    "render_json",
    "render_markdown",
    "render_pdf",
    "session_means",
    "svg_chart",
]
