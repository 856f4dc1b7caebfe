"""Charts of the report: an inline SVG (HTML, no external assets) and a plotly figure (the app).

Both show the same two things: the mean per dimension (bars, 1-5) and each dimension across the
answers (lines; an unavailable score is a gap in the line, never a zero).
"""

from __future__ import annotations

from html import escape

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from interviewer.report.model import Report

COLORS = {"honesty": "#2f6db5", "root_cause": "#c0552b", "storytelling": "#3a8f5c"}
DEFAULT_COLOR = "#666666"


def color(dim: str) -> str:
    return COLORS.get(dim, DEFAULT_COLOR)


def short_label(dim: str) -> str:
    """Chart labels stay short ("Root cause"); the tables carry the rubric's full titles."""
    return dim.replace("_", " ").capitalize()


def segments(values: list[int | None]) -> list[list[tuple[int, int]]]:
    """Runs of consecutive available scores as (answer index, score); None breaks a line."""
    runs: list[list[tuple[int, int]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((i, v))
    return [r for r in runs if r]


def svg_chart(report: Report) -> str:
    """A small self-contained SVG: bars of dimension means + per-answer lines."""
    w, h = 760, 262
    bx, by, bw, bh = 100, 30, 230, 170  # bar panel
    lx, ly, lw, lh = 420, 30, 320, 170  # line panel
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" '
             f'role="img" aria-label="Scores per dimension and per answer" '
             f'font-family="Helvetica, Arial, sans-serif" font-size="12">']
    parts.append(f'<text x="{bx}" y="18" font-weight="bold">Average per dimension (1\u20135)</text>')
    dims = report.dimensions
    row = bh / max(len(dims), 1)
    for k in range(0, 6):
        x = bx + bw * k / 5
        parts.append(f'<line x1="{x:.1f}" y1="{by}" x2="{x:.1f}" y2="{by + bh}" stroke="#e3e3e3"/>')
        parts.append(f'<text x="{x:.1f}" y="{by + bh + 14}" text-anchor="middle" fill="#777">{k}</text>')
    for i, d in enumerate(dims):
        y = by + i * row + row * 0.2
        parts.append(f'<text x="{bx - 8}" y="{y + row * 0.35:.1f}" text-anchor="end">'
                     f'{escape(short_label(d.dimension))}</text>')
        if d.mean is None:
            parts.append(f'<text x="{bx + 6}" y="{y + row * 0.35:.1f}" fill="#999" font-style="italic">'
                         'unavailable</text>')
            continue
        bar = bw * d.mean / 5
        parts.append(f'<rect x="{bx}" y="{y:.1f}" width="{bar:.1f}" height="{row * 0.6:.1f}" '
                     f'fill="{color(d.dimension)}" rx="2"/>')
        parts.append(f'<text x="{bx + bar + 5:.1f}" y="{y + row * 0.35:.1f}">{d.mean:.1f}</text>')

    n = len(report.answers)
    parts.append(f'<text x="{lx}" y="18" font-weight="bold">Score per answer (by answer number)</text>')
    for s in range(1, 6):
        y = ly + lh - lh * (s - 1) / 4
        parts.append(f'<line x1="{lx}" y1="{y:.1f}" x2="{lx + lw}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        parts.append(f'<text x="{lx - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#777">{s}</text>')

    def px(i: int) -> float:
        return lx + (lw * i / (n - 1) if n > 1 else lw / 2)

    def py(v: int) -> float:
        return ly + lh - lh * (v - 1) / 4

    for i in range(n):
        parts.append(f'<text x="{px(i):.1f}" y="{ly + lh + 14}" text-anchor="middle" fill="#777">{i + 1}</text>')
    if n == 0:
        parts.append(f'<text x="{lx + 10}" y="{ly + lh / 2}" fill="#999">no answers</text>')
    for k, d in enumerate(dims):
        c = color(d.dimension)
        dy = (k - (len(dims) - 1) / 2) * 2.5  # a small offset so equal scores don't hide each other
        for run in segments(d.per_answer):
            points = " ".join(f"{px(i):.1f},{py(v) + dy:.1f}" for i, v in run)
            if len(run) > 1:
                parts.append(f'<polyline points="{points}" fill="none" stroke="{c}" stroke-width="2" '
                             'stroke-opacity="0.85"/>')
            parts += [f'<circle cx="{px(i):.1f}" cy="{py(v) + dy:.1f}" r="3.5" fill="{c}"/>' for i, v in run]
    for j, d in enumerate(dims):  # legend
        x = lx + j * 105
        parts.append(f'<rect x="{x}" y="{h - 16}" width="10" height="10" fill="{color(d.dimension)}"/>')
        parts.append(f'<text x="{x + 14}" y="{h - 7}">{escape(short_label(d.dimension))}</text>')
    missing = [str(a.number) for a in report.answers if a.status != "ok"]
    if missing:
        parts.append(f'<text x="{lx}" y="{ly + lh + 30}" fill="#999" font-style="italic">'
                     f'not scored (unavailable): answer {", ".join(missing)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def plotly_figure(report: Report) -> go.Figure:
    """For the app: dimension means (bars) and the per-answer trend (lines with gaps)."""
    fig = make_subplots(rows=1, cols=2, column_widths=[0.4, 0.6],
                        subplot_titles=("Average per dimension", "Score per answer"))
    dims = report.dimensions
    fig.add_trace(go.Bar(
        # Short one-line labels: long titles rotate and collide with the legend below.
        x=[d.title.split(" / ")[0].replace(" understanding", "") for d in dims],
        y=[d.mean for d in dims],
        marker_color=[color(d.dimension) for d in dims],
        text=[f"{d.mean:.1f}" if d.mean is not None else "unavailable" for d in dims],
        textposition="outside",
        showlegend=False,
        hovertemplate="%{x}: %{text}<extra></extra>",
    ), row=1, col=1)
    numbers = [a.number for a in report.answers]
    for d in dims:
        fig.add_trace(go.Scatter(
            x=numbers, y=d.per_answer, mode="lines+markers", name=d.title,
            line={"color": color(d.dimension)}, connectgaps=False,
        ), row=1, col=2)
    fig.update_yaxes(range=[0, 5.5], row=1, col=1)
    fig.update_yaxes(range=[0.5, 5.5], dtick=1, row=1, col=2)
    fig.update_xaxes(title_text="answer", dtick=1, row=1, col=2)
    fig.update_xaxes(tickangle=0, row=1, col=1)
    fig.update_layout(height=380, margin={"l": 40, "r": 20, "t": 50, "b": 90},
                      legend={"orientation": "h", "y": -0.32, "x": 0.5, "xanchor": "center"})
    return fig
