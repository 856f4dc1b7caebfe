"""The report as Markdown (the chat and the .md download) and as JSON.

Candidate text is escaped so nothing they typed can become markup: `<script>` stays visible text,
`[x](y)` does not become a link and a `#` at a line start does not become a heading.
"""

from __future__ import annotations

import re

from interviewer.report import text as fmt
from interviewer.report.model import Report

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def esc(text: str) -> str:
    """Escape Markdown/HTML-significant characters in untrusted text (CommonMark backslash escapes)."""
    return _MD_SPECIAL.sub(r"\\\1", text).replace("&", "&amp;")


def quote_block(text: str) -> str:
    lines = text.strip().splitlines() or [""]
    return "\n".join(f"> {esc(line)}" if line.strip() else ">" for line in lines)


def render_json(report: Report) -> str:
    """Machine-readable: the Report model itself (see `schema_version`)."""
    return report.model_dump_json(indent=2) + "\n"


def render_markdown(report: Report, *, full: bool = True) -> str:
    """The whole report; `full=False` leaves out the per-answer details and the transcript
    (the chat already shows the conversation)."""
    out: list[str] = ["# Interview feedback", "", f"*{fmt.subtitle(report)}*", ""]
    for note in report.notes:
        out += [f"> **Note:** {esc(note)}", ""]

    out += ["## Overall", "", "| Dimension | Average | Level | Trend | Per answer |",
            "|---|---|---|---|---|"]
    for d in report.dimensions:
        out.append(f"| {d.title} | {fmt.score(d.mean)} | {fmt.score(d.level)} | {fmt.trend(d)} | "
                   f"{fmt.per_answer(report, d)} |")
    out.append("")
    for d in report.dimensions:
        out.append(f"**{d.title}: {fmt.score(d.mean)}.** {esc(d.level_description)}")
        for q in d.quotes:
            out.append(f"- answer {q.answer}: \u201c{esc(q.text)}\u201d")
        out += [f"- {esc(note)}" for note in d.notes]
        out.append("")

    out += ["### The three objectives", ""]
    for o in report.objectives:
        out.append(f"- **{o.title}: {o.verdict}.** {esc('; '.join(o.basis))}.")
    out.append("")

    for title, items in (("Strongest answer", report.strongest), ("Weakest answers", report.weakest)):
        if not items:
            continue
        out += [f"## {title}{'s' if title.startswith('Strongest') and len(items) > 1 else ''}", ""]
        for h in items:
            out.append(f"**Answer {h.number}** (average {h.mean:.1f}), to \u201c{esc(h.question)}\u201d")
            out += ["", esc(h.why), ""]
            out += [f"> \u201c{esc(q)}\u201d" for q in h.quotes]
            out.append("")

    if report.rewrites:
        out += ["## Rewrites of your weakest answers", ""]
        for rw in report.rewrites:
            out += [f"### Answer {rw.number}: {esc(rw.question)}", "", "Your answer:", "",
                    quote_block(rw.original), "", fmt.rewrite_intro(rw), ""]
            out += [f"- **{label}:** {esc(text)}" for label, text in fmt.sarl(rw)]
            if rw.note:
                out += ["", f"*{esc(rw.note)}*"]
            out.append("")

    if report.practice:
        out += ["## What to practise next", ""]
        for n, item in enumerate(report.practice, start=1):
            out.append(f"{n}. **{esc(item.title)}.** {esc(item.why)} {esc(item.how)}")
        out.append("")

    if report.progress:
        p = report.progress
        out += [f"## Progress (compared with {p.sessions_compared} earlier session"
                f"{'s' if p.sessions_compared > 1 else ''})", "",
                "| Dimension | Before | Now | Change |", "|---|---|---|---|"]
        for c in p.changes:
            delta = f" ({c.delta:+.1f})" if c.delta is not None else ""
            out.append(f"| {c.title} | {fmt.score(c.previous)} | {fmt.score(c.current)} | {c.change}{delta} |")
        out.append("")

    if report.consistency is not None:
        section = report.consistency
        out += [f"## {fmt.CONSISTENCY_TITLE}", ""]
        if not section.items:
            out += [esc(fmt.consistency_empty(section)), ""]
        for finding in section.items:
            out += [f"**{esc(fmt.consistency_title(finding))}**", ""]
            out += [f"- {esc(label)}: {esc(text)}" for label, text in fmt.consistency_rows(finding)]
            out.append("")

    if report.probes:
        out += ["## Follow-up questions and why they were asked", ""]
        for pr in report.probes:
            out.append(f"- {fmt.probe_where(pr.after_answer).capitalize()}, {esc(pr.speaker)}: "
                       f"\u201c{esc(pr.question)}\u201d \u2014 *{esc(pr.reason)}*")
        out.append("")

    if report.flags:
        out += ["## Flags", ""]
        out += [f"- `{name}`: {esc(meaning) or 'no description'}" for name, meaning in report.flags.items()]
        out.append("")

    if not full:
        return "\n".join(out).rstrip() + "\n"
    if report.answers:
        out += ["## Scores per answer", ""]
        for a in report.answers:
            out += [f"**Answer {a.number}**, to \u201c{esc(a.question)}\u201d", ""]
            for title, value, text in fmt.answer_details(report, a):
                out.append(f"- {title}: **{value}**" + (f". {esc(text)}" if text else ""))
            out.append("")
    out += ["## Transcript", ""]
    for e in report.transcript:
        if e.kind == "persona_switch" or e.role == "system":
            out += [f"*\u2014 {esc(e.text)} \u2014*", ""]
            continue
        label = f"**{esc(e.speaker)}**"
        if e.answer_number:
            label += f" (answer {e.answer_number}: {e.score_line})"
        elif e.kind == "probe":
            label += " (follow-up)"
        body = esc(e.text).replace("\n", "  \n")
        out += [f"{label}: {body}", ""]
    return "\n".join(out).rstrip() + "\n"
