"""Charts of the report: an inline SVG (HTML, no external assets) and a plotly figure (the app).

Both show the same two things: the mean per dimension (bars, 1-5) and each dimension across the
answers (lines; an unavailable score is a gap in the line, never a zero).
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
from markupsafe import Markup
from plotly.subplots import make_subplots

from interviewer.report.model import Report
from interviewer.report.render.templating import render

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


# The SVG's frame: the whole picture, the bar panel and the line panel (x, y, width, height).
W, H = 760, 262
BX, BY, BW, BH = 100, 30, 230, 170
LX, LY, LW, LH = 420, 30, 320, 170


@dataclass(frozen=True)
class Bar:
    """One dimension's row in the bar panel; `width` is None when it has no mean."""

    label: str
    color: str
    top: float
    baseline: float  # of the label and of the value
    height: float
    width: float | None
    mean: float | None


@dataclass(frozen=True)
class Series:
    """One dimension across the answers: runs of (x, y) points, a gap wherever a score is missing."""

    color: str
    runs: list[list[tuple[float, float]]]


@dataclass(frozen=True)
class ChartView:
    """Every position the SVG template draws; the template only formats them."""

    bar_grid: list[float]  # x of the 0..5 grid lines
    bars: list[Bar]
    score_grid: list[float]  # y of the 1..5 grid lines
    answer_x: list[float]  # x of each answer's number
    series: list[Series]
    legend: list[tuple[int, str, str]]  # (x, label, color)
    missing: list[int]  # answers not scored


def chart_view(report: Report) -> ChartView:
    dims = report.dimensions
    row = BH / max(len(dims), 1)
    bars = []
    for i, d in enumerate(dims):
        y = BY + i * row + row * 0.2
        bars.append(Bar(label=short_label(d.dimension), color=color(d.dimension), top=y,
                        baseline=y + row * 0.35, height=row * 0.6,
                        width=None if d.mean is None else BW * d.mean / 5, mean=d.mean))
    n = len(report.answers)

    def px(i: int) -> float:
        return LX + (LW * i / (n - 1) if n > 1 else LW / 2)

    def py(v: int) -> float:
        return LY + LH - LH * (v - 1) / 4

    series = []
    for k, d in enumerate(dims):
        dy = (k - (len(dims) - 1) / 2) * 2.5  # a small offset so equal scores don't hide each other
        series.append(Series(color(d.dimension), [[(px(i), py(v) + dy) for i, v in run]
                                                  for run in segments(d.per_answer)]))
    return ChartView(
        bar_grid=[BX + BW * k / 5 for k in range(6)],
        bars=bars,
        score_grid=[py(s) for s in range(1, 6)],
        answer_x=[px(i) for i in range(n)],
        series=series,
        legend=[(LX + j * 105, short_label(d.dimension), color(d.dimension)) for j, d in enumerate(dims)],
        missing=[a.number for a in report.answers if a.status != "ok"],
    )


def svg_chart(report: Report) -> Markup:
    """A small self-contained SVG: bars of dimension means + per-answer lines. Rendered by an
    autoescaped template, so the result is markup (Markup) and its labels are escaped text."""
    frame = {"w": W, "h": H, "bx": BX, "by": BY, "bw": BW, "bh": BH, "lx": LX, "ly": LY, "lw": LW, "lh": LH}
    svg = render("chart.svg.j2", chart=chart_view(report), frame=frame)
    return Markup(svg.removesuffix("\n"))  # an element, not a file: the page decides what follows it


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
