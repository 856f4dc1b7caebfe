"""The report as a PDF (fpdf2), with a drawn chart.

fpdf2's core fonts only know latin-1, so a Unicode TrueType font is used when the system has one
(Debian's fonts-dejavu-core). Characters that font cannot draw (emoji, scripts it lacks) become
"?" instead of a crash or a silent blank; without any TTF, text is folded to latin-1 the same way.
Output is deterministic for a given report (fixed creation date), so it can be golden-tested.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

import interviewer.report.text as fmt
from interviewer.report.render.chart import COLORS, DEFAULT_COLOR, segments, short_label
from interviewer.report.model import Report

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/local/share/fonts/dejavu")]
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
ASCII_FOLD = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u2014": "-",
                            "\u2013": "-", "\u2026": "...", "\u2192": "->", "\u2022": "*"})


@lru_cache(maxsize=1)
def find_font_dir() -> Path | None:
    for directory in FONT_DIRS:
        if all((directory / f).is_file() for f in FONT_FILES.values()):
            return directory
    return None


@lru_cache(maxsize=1)
def _font_chars(directory: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # fpdf2 depends on fontTools

    with TTFont(str(directory / FONT_FILES[""]), lazy=True) as font:
        return frozenset(font.getBestCmap().keys())


def make_sanitizer(directory: Path | None) -> Callable[[str], str]:
    """Text -> text the chosen font can draw."""
    if directory is None:
        return lambda s: s.translate(ASCII_FOLD).encode("latin-1", "replace").decode("latin-1")
    chars = _font_chars(directory)
    return lambda s: "".join(c if ord(c) in chars or c == "\n" else "?" for c in s)


def _rgb(hex_color: str) -> tuple[int, int, int]:
    return int(hex_color[1:3], 16), int(hex_color[3:5], 16), int(hex_color[5:7], 16)


class _Doc:
    """Thin layer over FPDF: headings, paragraphs, quotes, all passed through the sanitizer."""

    def __init__(self, report: Report) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_creation_date(report.session_date)
        self.pdf.set_title("Interview feedback")
        self.pdf.set_author("interviewer")
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.set_margins(16, 16, 16)
        directory = find_font_dir()
        self.clean = make_sanitizer(directory)
        if directory is not None:
            for style, name in FONT_FILES.items():
                self.pdf.add_font("Body", style, str(directory / name))
            self.family = "Body"
        else:
            self.family = "Helvetica"
        self.pdf.add_page()

    def font(self, style: str = "", size: float = 10.5) -> None:
        self.pdf.set_font(self.family, style, size)

    def text(self, text: str, style: str = "", size: float = 10.5, color: tuple[int, int, int] = (34, 34, 34),
             indent: float = 0, height: float = 5.4) -> None:
        self.font(style, size)
        self.pdf.set_text_color(*color)
        self.pdf.set_x(self.pdf.l_margin + indent)
        self.pdf.multi_cell(self.pdf.epw - indent, height, self.clean(text), align="L",
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.set_text_color(34, 34, 34)

    def labelled(self, label: str, text: str, indent: float = 4, size: float = 10.5) -> None:
        """"Label: text" with a bold label, wrapped lines kept at the indent."""
        margin = self.pdf.l_margin
        self.pdf.set_left_margin(margin + indent)
        self.pdf.set_x(margin + indent)
        self.pdf.set_text_color(34, 34, 34)
        self.font("B", size)
        self.pdf.write(5.4, self.clean(f"{label}: " if text else label))
        self.font("", size)
        self.pdf.write(5.4, self.clean(text))
        self.pdf.ln(5.6)
        self.pdf.set_left_margin(margin)

    def h1(self, text: str) -> None:
        self.text(text, "B", 18, height=9)

    def h2(self, text: str) -> None:
        if self.pdf.get_y() > self.pdf.h - 45:
            self.pdf.add_page()
        self.gap(3)
        self.text(text, "B", 13.5, height=7)
        y = self.pdf.get_y()
        self.pdf.set_draw_color(200, 200, 200)
        self.pdf.line(self.pdf.l_margin, y, self.pdf.l_margin + self.pdf.epw, y)
        self.gap(2)

    def quote(self, text: str) -> None:
        y0 = self.pdf.get_y()
        self.text(text, "I", 10, (70, 70, 70), indent=5)
        y1 = self.pdf.get_y()
        if y1 > y0:  # a bar on the left, like a blockquote (skipped if the quote broke a page)
            self.pdf.set_draw_color(190, 190, 190)
            self.pdf.set_line_width(0.8)
            self.pdf.line(self.pdf.l_margin + 1.5, y0 + 0.5, self.pdf.l_margin + 1.5, y1 - 0.5)
            self.pdf.set_line_width(0.2)
        self.gap(1)

    def gap(self, mm: float = 2) -> None:
        self.pdf.ln(mm)


def _chart(doc: _Doc, report: Report) -> None:
    pdf = doc.pdf
    if pdf.get_y() > pdf.h - 80:
        pdf.add_page()
    top = pdf.get_y() + 2
    bx, bw, lx, lw, ph = pdf.l_margin + 34, 48, pdf.l_margin + 100, 76, 44
    doc.font("B", 9)
    pdf.set_text_color(34, 34, 34)
    pdf.text(pdf.l_margin, top + 3, "Average per dimension (1-5)")
    pdf.text(lx, top + 3, "Score per answer")
    by = top + 7
    dims = report.dimensions
    row = ph / max(len(dims), 1)
    doc.font("", 8)
    pdf.set_draw_color(225, 225, 225)
    for k in range(6):
        x = bx + bw * k / 5
        pdf.line(x, by, x, by + ph)
        pdf.text(x - 1, by + ph + 4, str(k))
    for i, d in enumerate(dims):
        y = by + i * row + row * 0.2
        label = doc.clean(short_label(d.dimension))
        pdf.set_text_color(34, 34, 34)
        pdf.text(bx - 2 - pdf.get_string_width(label), y + row * 0.4, label)
        if d.mean is None:
            pdf.set_text_color(140, 140, 140)
            pdf.text(bx + 2, y + row * 0.4, "unavailable")
            continue
        pdf.set_fill_color(*_rgb(COLORS.get(d.dimension, DEFAULT_COLOR)))
        pdf.rect(bx, y, bw * d.mean / 5, row * 0.6, style="F")
        pdf.set_text_color(34, 34, 34)
        pdf.text(bx + bw * d.mean / 5 + 1.5, y + row * 0.4, f"{d.mean:.1f}")

    n = len(report.answers)

    def px(i: int) -> float:
        return lx + (lw * i / (n - 1) if n > 1 else lw / 2)

    def py(v: int) -> float:
        return by + ph - ph * (v - 1) / 4

    pdf.set_text_color(120, 120, 120)
    for s in range(1, 6):
        pdf.set_draw_color(225, 225, 225)
        pdf.line(lx, py(s), lx + lw, py(s))
        pdf.text(lx - 4, py(s) + 1, str(s))
    for i in range(n):
        pdf.text(px(i) - 1, by + ph + 4, str(i + 1))
    pdf.set_line_width(0.6)
    for d in dims:
        r, g, b = _rgb(COLORS.get(d.dimension, DEFAULT_COLOR))
        pdf.set_draw_color(r, g, b)
        pdf.set_fill_color(r, g, b)
        for run in segments(d.per_answer):
            for (i1, v1), (i2, v2) in zip(run, run[1:]):
                pdf.line(px(i1), py(v1), px(i2), py(v2))
            for i, v in run:
                pdf.ellipse(px(i) - 0.9, py(v) - 0.9, 1.8, 1.8, style="F")
    pdf.set_line_width(0.2)
    for j, d in enumerate(dims):
        x = lx + j * 27
        pdf.set_fill_color(*_rgb(COLORS.get(d.dimension, DEFAULT_COLOR)))
        pdf.rect(x, by + ph + 7, 2.5, 2.5, style="F")
        pdf.set_text_color(34, 34, 34)
        pdf.text(x + 3.5, by + ph + 9.3, doc.clean(short_label(d.dimension)))
    missing = [str(a.number) for a in report.answers if a.status != "ok"]
    if missing:
        doc.font("I", 7.5)
        pdf.set_text_color(140, 140, 140)
        pdf.text(lx, by + ph + 14, f"not scored (unavailable): answer {', '.join(missing)}")
    pdf.set_text_color(34, 34, 34)
    pdf.set_y(by + ph + 17)


def render_pdf(report: Report) -> bytes:
    doc = _Doc(report)
    doc.h1("Interview feedback")
    doc.text(fmt.subtitle(report), size=9.5, color=(100, 100, 100))
    for note in report.notes:
        doc.gap(1)
        doc.text(f"Note: {note}", "I", 9.5, (120, 80, 0))

    doc.h2("Overall")
    _chart(doc, report)
    for d in report.dimensions:
        doc.text(f"{d.title}: {fmt.score(d.mean)}", "B", 11)
        doc.text(d.level_description, size=9.5)
        doc.text(f"Trend: {fmt.trend(d)}. Per answer: {fmt.per_answer(report, d)}.", size=8.5,
                 color=(110, 110, 110))
        for q in d.quotes:
            doc.quote(f"\u201c{q.text}\u201d ({fmt.quote_source(report, q, d)})")
        for note in d.notes:
            doc.text(note, size=9.5, color=(29, 107, 53), indent=5)
        doc.gap(1)
    doc.text("The three objectives", "B", 11.5, height=7)
    for o in report.objectives:
        doc.labelled(f"{o.title}: {o.verdict}", "; ".join(o.basis) + ".", indent=0, size=9.5)

    for title, items in (("Strongest", report.strongest), ("Weakest", report.weakest)):
        if not items:
            continue
        doc.h2(f"{title} answer{'s' if len(items) > 1 else ''}")
        for h in items:
            doc.text(f"Answer {h.number} (average {h.mean:.1f}), to \u201c{h.question}\u201d", "B")
            doc.text(h.why, size=9.5)
            for text in h.quotes:
                doc.quote(f"\u201c{text}\u201d")
            doc.gap(1)

    if report.rewrites:
        doc.h2("Rewrites of your weakest answers")
        for rw in report.rewrites:
            doc.text(f"Answer {rw.number}: {rw.question}", "B")
            doc.quote(rw.original)
            doc.text(fmt.rewrite_intro(rw), size=9.5, color=(80, 80, 80))
            for label, value in fmt.sarl(rw):
                doc.labelled(label, value)
            if rw.note:
                doc.text(rw.note, "I", 9, (120, 80, 0))
            doc.gap(2)

    if report.practice:
        doc.h2("What to practise next")
        for n, item in enumerate(report.practice, start=1):
            doc.text(f"{n}. {item.title}", "B")
            doc.text(f"{item.why} {item.how}", indent=5)

    if report.progress:
        p = report.progress
        doc.h2(f"Progress (compared with {p.sessions_compared} earlier session{'s' if p.sessions_compared > 1 else ''})")
        for line in p.summary:
            doc.text(line)

    if report.consistency is not None:
        section = report.consistency
        doc.h2(fmt.CONSISTENCY_TITLE)
        if not section.items:
            doc.text(fmt.consistency_empty(section))
        for finding in section.items:
            doc.text(fmt.consistency_title(finding), "B")
            for label, text in fmt.consistency_rows(finding):
                doc.labelled(label, text, size=9.5)
            doc.gap(1)

    if report.probes:
        doc.h2("Follow-up questions and why they were asked")
        for pr in report.probes:
            doc.text(f"{fmt.probe_where(pr.after_answer).capitalize()}, {pr.speaker}: \u201c{pr.question}\u201d")
            doc.text(f"Why: {pr.reason}", "I", 9.5, (90, 90, 90), indent=4)

    if report.flags:
        doc.h2("Flags")
        for name, meaning in report.flags.items():
            doc.text(f"{name}: {meaning or 'no description'}", size=9.5)

    if report.answers:
        doc.h2("Scores per answer")
        for a in report.answers:
            doc.text(f"Answer {a.number}, to \u201c{a.question}\u201d", "B", 10)
            for title, value, text in fmt.answer_details(report, a):
                doc.labelled(f"{title}: {value}", text, indent=4, size=9)
            doc.gap(1)

    doc.h2("Transcript")
    for t in report.transcript:
        if t.role == "system":
            doc.text(f"\u2014 {t.text} \u2014", "I", 9, (110, 110, 110))
            continue
        note = fmt.turn_note(t)
        head = f"{t.speaker}  ({note})" if note else t.speaker
        doc.text(head, "B", 9.5)
        doc.text(t.text, size=9.5, indent=3)
        doc.gap(1)
    return bytes(doc.pdf.output())
