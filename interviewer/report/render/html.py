"""The report as one self-contained HTML page: inline CSS and SVG, no scripts, no external assets.

Every piece of text goes through `e()` (html.escape with quotes), so an answer containing
`<script>` renders as visible text. There is no other way text enters the page.
"""

from __future__ import annotations

from html import escape

from interviewer.report import text as fmt
from interviewer.report.render.chart import color, svg_chart
from interviewer.report.model import Report

CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;max-width:880px;
margin:2rem auto;padding:0 1rem;line-height:1.5}
h1{margin-bottom:.2rem}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
.sub{color:#666;margin-top:0}.note{background:#fff6e0;border-left:4px solid #e0a800;padding:.5rem .8rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0}th,td{border:1px solid #ddd;padding:.35rem .5rem;
text-align:left;vertical-align:top}th{background:#f5f5f5}
.na{color:#888;font-style:italic}blockquote{margin:.4rem 0;padding:.3rem .8rem;border-left:4px solid #ccc;
color:#333;background:#fafafa;white-space:pre-wrap}
.verdict{display:inline-block;padding:0 .45rem;border-radius:.6rem;font-size:.85em;font-weight:600}
.v-strong{background:#dff2e3;color:#1d6b35}.v-developing{background:#fff1cc;color:#7a5a00}
.v-needs-work{background:#fde2dc;color:#9b2d14}.v-not-enough-evidence{background:#eee;color:#555}
.sarl dt{font-weight:600}.sarl dd{margin:0 0 .4rem 1rem}.small{color:#666;font-size:.9em}
.turn{margin:.5rem 0;padding:.3rem .6rem}.turn.you{background:#f2f6fb;border-left:3px solid #2f6db5;border-radius:3px}.turn .who{font-weight:600}.turn .text{white-space:pre-wrap}
.system{color:#666;font-style:italic;text-align:center}.dot{display:inline-block;width:.7em;height:.7em;
border-radius:50%;margin-right:.3em}.card{border:1px solid #e3e3e3;border-radius:6px;padding:.6rem .9rem;margin:.6rem 0}
"""


def e(text: object) -> str:
    return escape(str(text), quote=True)


def _score(value: float | int | None) -> str:
    text = fmt.score(value)
    return f'<span class="na">{text}</span>' if value is None else text


def _verdict(verdict: str) -> str:
    return f'<span class="verdict v-{verdict.replace(" ", "-")}">{e(verdict)}</span>'


def render_html(report: Report) -> str:
    h: list[str] = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Interview feedback</title>", f"<style>{CSS}</style></head><body>",
        "<h1>Interview feedback</h1>", f'<p class="sub">{e(fmt.subtitle(report))}</p>',
    ]
    h += [f'<p class="note">{e(n)}</p>' for n in report.notes]

    h += ["<h2>Overall</h2>", svg_chart(report), "<table><tr><th>Dimension</th><th>Average</th>"
          "<th>What this level looks like</th><th>Trend</th><th>Per answer</th></tr>"]
    for d in report.dimensions:
        h.append(f'<tr><td><span class="dot" style="background:{color(d.dimension)}"></span>{e(d.title)}</td>'
                 f"<td>{_score(d.mean)}</td><td>{e(d.level_description)}</td>"
                 f"<td>{e(fmt.trend(d))}</td><td>{e(fmt.per_answer(report, d))}</td></tr>")
    h.append("</table>")
    quoted = [d for d in report.dimensions if d.quotes or d.notes]
    if quoted:
        h.append("<h3>Evidence from your answers</h3>")
        for d in quoted:
            h.append(f"<p><b>{e(d.title)}</b></p>")
            h += [f'<blockquote>\u201c{e(q.text)}\u201d <span class="small">(answer {q.answer}, scored '
                  f"{e(fmt.cell(report.answers[q.answer - 1], d.dimension))})</span></blockquote>" for q in d.quotes]
            h += [f'<p class="small">{e(note)}</p>' for note in d.notes]

    h.append("<h3>The three objectives</h3><table><tr><th>Objective</th><th>Verdict</th><th>Why</th></tr>")
    for o in report.objectives:
        h.append(f"<tr><td>{e(o.title)}</td><td>{_verdict(o.verdict)}</td>"
                 f"<td>{'<br>'.join(e(b) for b in o.basis)}</td></tr>")
    h.append("</table>")

    for title, items in (("Strongest", report.strongest), ("Weakest", report.weakest)):
        if not items:
            continue
        h.append(f"<h2>{title} answer{'s' if len(items) > 1 else ''}</h2>")
        for hl in items:
            h.append(f'<div class="card"><p><b>Answer {hl.number}</b> (average {hl.mean:.1f}), to '
                     f"\u201c{e(hl.question)}\u201d</p><p>{e(hl.why)}</p>")
            h += [f"<blockquote>\u201c{e(q)}\u201d</blockquote>" for q in hl.quotes]
            h.append("</div>")

    if report.rewrites:
        h.append("<h2>Rewrites of your weakest answers</h2>")
        for rw in report.rewrites:
            h.append(f'<div class="card"><p><b>Answer {rw.number}:</b> {e(rw.question)}</p>'
                     f'<p class="small">Your answer:</p><blockquote>{e(rw.original)}</blockquote>'
                     f"<p>{e(fmt.rewrite_intro(rw))}</p><dl class=\"sarl\">")
            h += [f"<dt>{label}</dt><dd>{e(text)}</dd>" for label, text in fmt.sarl(rw)]
            h.append("</dl>")
            if rw.note:
                h.append(f'<p class="small">{e(rw.note)}</p>')
            h.append("</div>")

    if report.practice:
        h.append("<h2>What to practise next</h2><ol>")
        h += [f"<li><b>{e(p.title)}.</b> {e(p.why)}<br>{e(p.how)}</li>" for p in report.practice]
        h.append("</ol>")

    if report.progress:
        p = report.progress
        h.append(f"<h2>Progress</h2><p>Compared with {p.sessions_compared} earlier "
                 f"session{'s' if p.sessions_compared > 1 else ''} of yours.</p>"
                 "<table><tr><th>Dimension</th><th>Before</th><th>Now</th><th>Change</th></tr>")
        for c in p.changes:
            delta = f" ({c.delta:+.1f})" if c.delta is not None else ""
            h.append(f"<tr><td>{e(c.title)}</td><td>{_score(c.previous)}</td><td>{_score(c.current)}</td>"
                     f"<td>{e(c.change + delta)}</td></tr>")
        h.append("</table>")

    if report.consistency is not None:
        section = report.consistency
        h.append(f"<h2>{e(fmt.CONSISTENCY_TITLE)}</h2>")
        if not section.items:
            h.append(f"<p>{e(fmt.consistency_empty(section))}</p>")
        for finding in section.items:
            h.append(f'<div class="card"><p><b>{e(fmt.consistency_title(finding))}</b></p><ul>')
            h += [f"<li>{e(label)}: {e(text)}</li>" for label, text in fmt.consistency_rows(finding)]
            h.append("</ul></div>")

    if report.probes:
        h.append("<h2>Follow-up questions and why they were asked</h2><ul>")
        h += [f"<li>{e(fmt.probe_where(pr.after_answer).capitalize())}, {e(pr.speaker)}: "
              f"\u201c{e(pr.question)}\u201d<br><span class=\"small\">Why: {e(pr.reason)}</span></li>"
              for pr in report.probes]
        h.append("</ul>")

    if report.flags:
        h.append("<h2>Flags</h2><ul>")
        h += [f"<li><code>{e(k)}</code>: {e(v or 'no description')}</li>" for k, v in report.flags.items()]
        h.append("</ul>")

    h.append("<h2>Transcript</h2>")
    for t in report.transcript:
        if t.role == "system":
            h.append(f'<p class="system">\u2014 {e(t.text)} \u2014</p>')
            continue
        extra = ""
        if t.answer_number:
            extra = f' <span class="small">answer {t.answer_number}: {e(t.score_line)}</span>'
        elif t.kind == "probe":
            extra = ' <span class="small">follow-up</span>'
        css = "turn you" if t.role == "candidate" else "turn"
        details = ""
        if t.answer_number and report.answers[t.answer_number - 1].status == "ok":
            rows = "".join(f"<li>{e(title)}: <b>{e(value)}</b>. {e(text)}</li>"
                           for title, value, text in fmt.answer_details(report, report.answers[t.answer_number - 1]))
            details = f'<details><summary class="small">why these scores</summary><ul class="small">{rows}</ul></details>'
        h.append(f'<div class="{css}"><span class="who">{e(t.speaker)}</span>{extra}'
                 f'<div class="text">{e(t.text)}</div>{details}</div>')
    h.append("</body></html>")
    return "\n".join(h) + "\n"
