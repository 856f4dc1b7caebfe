"""The report as Markdown (the chat and the .md download) and as JSON.

The Markdown is templates/report.md.j2. Candidate text is escaped there (the `md` filter of
render/templating.py) so nothing they typed can become markup: `<script>` stays visible text,
`[x](y)` does not become a link and a `#` at a line start does not become a heading.
"""

from __future__ import annotations

from interviewer.report.model import Report
from interviewer.report.render.templating import render


def render_json(report: Report) -> str:
    """Machine-readable: the Report model itself (see `schema_version`)."""
    return report.model_dump_json(indent=2) + "\n"


def render_markdown(report: Report, *, full: bool = True) -> str:
    """The whole report; `full=False` leaves out the per-answer details and the transcript
    (the chat already shows the conversation)."""
    return render("report.md.j2", report=report, full=full).rstrip() + "\n"
