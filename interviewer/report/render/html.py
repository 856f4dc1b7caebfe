"""The report as one self-contained HTML page: inline CSS and SVG, no scripts, no external assets.

The page is templates/report.html.j2, autoescaped (render/templating.py): an answer containing
`<script>` renders as visible text. The only markup that enters unescaped is the chart, which is
itself rendered by an autoescaped template (chart.svg.j2).
"""

from __future__ import annotations

from interviewer.report.model import Report
from interviewer.report.render.chart import color, svg_chart
from interviewer.report.render.templating import render


def render_html(report: Report) -> str:
    return render("report.html.j2", report=report, chart=svg_chart(report), color=color)
