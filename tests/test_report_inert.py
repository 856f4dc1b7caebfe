"""Hostile text renders inert in every report format, wherever it enters the report.

Every free-text string of a built report (answers, questions, notes, persona names, the role,
rubric titles and level texts, quotes, rewrites, reasons, consistency quotes, flag names and
meanings, dimension ids, ...) is replaced by a payload of HTML/JS and Markdown syntax; the
enumerated fields (status, verdict, ...) stay valid. Then:
- HTML: parsed, the page holds only the tags and attributes the template writes, no event
  handler, no `javascript:`; the payload shows up as escaped text, in the SVG chart too.
- Markdown: no raw `<`, no link bracket, no heading but the report's own.
- JSON: the payload is data (the report round-trips unchanged).
- PDF: renders, and holds no action (JavaScript, URI, Launch) for a viewer to run.
Also here: the template environment's rules (one environment, strict, escaping by file name).
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from jinja2 import StrictUndefined, UndefinedError

from interviewer.report import Report, build_report, render_html, render_json, render_markdown, render_pdf, svg_chart
from interviewer.report.render import templating
from interviewer.session import Session

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = Path(__file__).parent / "data" / "sessions"
PAYLOAD = (
    "<script>alert(1)</script> \"><img src=x onerror=alert(2)> ' onmouseover='alert(3)' "
    "</svg><svg onload=alert(4)> </style><style>*{}</style> [click](javascript:alert(5)) "
    "![i](http://evil.example/x.png) `tick` *em* _u_ | pipe &amp; &lt;b&gt; ~~s~~"
)
# Literal-typed fields: the model rejects anything else, and the renderers branch on them.
ENUMS = {"status", "verdict", "trend", "change", "source", "outcome", "role", "key"}
# Fields that are dicts of data (keyed by dimension or flag name), not nested models.
DATA_DICTS = {"scores", "levels", "evidence", "rationale", "anchors", "means", "flags"}

TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "svg", "text", "line", "rect",
        "polyline", "circle", "table", "tr", "th", "td", "span", "b", "blockquote", "div", "br", "dl", "dt",
        "dd", "ol", "ul", "li", "code", "details", "summary"}
ATTRIBUTES = {"lang", "charset", "name", "content", "class", "style", "xmlns", "viewbox", "width", "height", "role",
              "aria-label", "font-family", "font-size", "font-weight", "font-style", "x", "y", "x1", "y1", "x2",
              "y2", "cx", "cy", "r", "rx", "points", "stroke", "stroke-width", "stroke-opacity", "text-anchor",
              "fill"}
HEADINGS = re.compile(
    r"#{1,3} (Interview feedback|Overall|The three objectives|(Strongest|Weakest) answers?|Rewrites of your weakest "
    r"answers|What to practise next|Progress \(|Consistency|Follow-up questions|Flags|Scores per answer|Transcript"
    r"|Answer \d+: )"
)


def hostile(text: str) -> str:
    # A leading "# " and a line break: text that lands at a line start would become a heading.
    return f"# {text}\n{PAYLOAD}"


def poison(value: Any, field: str = "") -> Any:
    if isinstance(value, str):
        return value if field in ENUMS else hostile(value)
    if isinstance(value, list):
        return [poison(v, field) for v in value]
    if isinstance(value, dict):
        if field in DATA_DICTS:  # the keys are text too (dimension ids, flag names)
            return {hostile(k) if isinstance(k, str) else k: poison(v) for k, v in value.items()}
        return {k: poison(v, k) for k, v in value.items()}
    return value


def load(name: str) -> Session:
    return Session.from_json((SESSIONS / name).read_text(encoding="utf-8"))


# session, earlier sessions, the sections it must fill (between them, every section with text)
CASES = {
    "panel": ("unit_panel.json", ("unit_previous.json",), ("notes", "rewrites", "practice", "progress", "probes", "flags")),
    "ledger": ("unit_ledger.json", (), ("strongest", "weakest", "rewrites", "probes", "consistency")),
}


@pytest.fixture(params=list(CASES))
async def report(request: pytest.FixtureRequest) -> Report:
    session, previous, sections = CASES[request.param]
    clean = await build_report(load(session), [load(p) for p in previous])
    poisoned = Report.model_validate(poison(clean.model_dump()))
    assert all(getattr(poisoned, name) for name in sections), [n for n in sections if not getattr(poisoned, n)]
    assert poisoned.consistency is None or poisoned.consistency.items
    assert poisoned.personas[0].endswith(PAYLOAD) and poisoned.answers[0].answer.endswith(PAYLOAD)
    return poisoned


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


async def test_html_holds_only_the_templates_markup(report: Report) -> None:
    page = render_html(report)
    parser = Tags()
    parser.feed(page)
    assert parser.tags and {tag for tag, _ in parser.tags} <= TAGS
    for tag, attrs in parser.tags:
        for name, value in attrs:
            assert name in ATTRIBUTES, (tag, name, value)
            assert "javascript" not in (value or "").lower(), (tag, name, value)
            if name == "class":
                assert re.fullmatch(r"[a-z -]+", value or ""), value
            if name == "style":
                assert re.fullmatch(r"background:#[0-9a-f]{6}", value or ""), value
    assert page.count("<style>") == 1 and page.count("<svg") == 1 and "<script" not in page.lower()
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(2)&gt; &#x27; onmouseover"
    assert page.count(escaped) > 50  # the payload is there, as text, all over the page
    assert "&amp;amp; &amp;lt;b&amp;gt;" in page  # entities in the text are text too


async def test_the_svg_chart_escapes_its_labels(report: Report) -> None:
    svg = str(svg_chart(report))
    assert svg.startswith("<svg") and svg.endswith("</svg>") and svg.count("<svg") == 1
    assert "&lt;/svg&gt;&lt;svg onload=alert(4)&gt;" in svg


@pytest.mark.parametrize("full", [True, False])
async def test_markdown_has_no_markup_but_its_own(report: Report, full: bool) -> None:
    md = render_markdown(report, full=full)
    text = re.sub(r"(?m)^- `[^`\n]*`", "- ", md)  # flag names sit in code spans (literal there)
    text = re.sub(r"(?m)^>", "", text)  # the report's own block quotes
    raw = re.search(r".{0,40}(?<!\\)[<>\[\]].{0,40}", text)
    assert raw is None, raw.group()
    for line in md.splitlines():
        if line.lstrip().startswith("#"):
            assert HEADINGS.match(line), line
    assert r"\<script\>alert(1)\</script\>" in md and r"\[click\](javascript:alert(5))" in md
    assert r"&amp;amp; &amp;lt;b&amp;gt;" in md


async def test_json_keeps_the_payload_as_data(report: Report) -> None:
    assert Report.model_validate_json(render_json(report)) == report


async def test_pdf_renders_and_holds_no_action(report: Report) -> None:
    pdf = render_pdf(report)
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    for action in (b"/JavaScript", b"/JS", b"/Launch", b"/URI", b"/AA", b"/SubmitForm", b"/ImportData", b"/GoToR"):
        assert action not in pdf, action
    # fpdf2 opens a multi-page document at page 1 (`/OpenAction [3 0 R /FitH null]`, a destination);
    # an action would be a dictionary.
    assert not re.search(rb"/OpenAction\s*<<", pdf)


# -- the template environment ------------------------------------------------------------------
def test_one_strict_environment_escaping_by_file_name() -> None:
    env = templating.environment()
    assert env is templating.environment()
    assert env.undefined is StrictUndefined
    assert callable(env.autoescape)
    assert env.autoescape("report.html.j2") and env.autoescape("chart.svg.j2")
    assert not env.autoescape("report.md.j2")
    assert env.autoescape("anything-else.j2")  # a new template is escaped unless it says it is Markdown
    with pytest.raises(UndefinedError):
        env.get_template("report.md.j2").render(full=True)  # no report: an error, not an empty page


def test_every_template_ships_in_the_wheel() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    patterns = data["interviewer.report.render"]
    names = templating.environment().list_templates()
    assert {"report.html.j2", "report.md.j2", "chart.svg.j2"} <= set(names)
    for name in names:
        assert any(fnmatch.fnmatch(f"templates/{name}", p) for p in patterns), f"{name} is not in package-data"


@pytest.mark.parametrize("module", ["html", "markdown", "chart"])
def test_the_renderers_write_no_markup_in_code(module: str) -> None:
    source = (ROOT / "interviewer" / "report" / "render" / f"{module}.py").read_text(encoding="utf-8")
    assert not re.search(r"<(/?)(html|body|div|p|span|svg|text|rect|line|tr|td|li|ul|h\d)\b", source), module
