"""The one Jinja2 environment of the report: its templates, filters and escaping rules.

Templates live in `render/templates/` and ship in the wheel as package data (pyproject.toml);
they are loaded through the package, so an installed copy reads its own files.

Escaping is decided by the template's name, never by the caller:
- `*.html.j2` and `*.svg.j2` are autoescaped. Every `{{ }}` value goes through `html.escape` (via
  `finalize`) so the page keeps the stdlib's entities (`&#x27;`, `&quot;`) the golden reports were
  made with; markupsafe's own escape stays behind it, and only values that are already markup
  (a macro, the rendered chart) pass through unchanged.
- `*.md.j2` is not autoescaped (HTML entities would show up in the chat as text); untrusted text
  is escaped there with the `md` filter, and a template that forgets it is caught by
  tests/test_report_inert.py.
StrictUndefined turns a misspelt name into an error instead of an empty string in the report.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_eval_context, select_autoescape
from jinja2.nodes import EvalContext
from markupsafe import Markup

import interviewer.report.text as fmt

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")
_NOT_TOKEN = re.compile(r"[^a-z0-9]+")


def md_escape(text: object) -> str:
    """Escape Markdown/HTML-significant characters in untrusted text (CommonMark backslash escapes):
    `<script>` stays visible text, `[x](y)` is no link, a `#` at a line start is no heading."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("&", "&amp;")


def md_quote_block(text: str) -> str:
    """Untrusted text as a Markdown block quote, one `> ` per line, blank lines kept."""
    lines = text.strip().splitlines() or [""]
    return "\n".join(f"> {md_escape(line)}" if line.strip() else ">" for line in lines)


def md_code(text: object) -> str:
    """Text for inside a Markdown code span: a backtick or a line break would end the span early."""
    return " ".join(str(text).replace("`", "'").split())


def css_token(text: object) -> str:
    """A class-name fragment ("needs work" -> "needs-work"): only [a-z0-9-] can reach the attribute."""
    return _NOT_TOKEN.sub("-", str(text).lower()).strip("-")


def one_decimal(value: float) -> str:
    return f"{value:.1f}"


def signed_one_decimal(value: float) -> str:
    return f"{value:+.1f}"


@pass_eval_context
def _finalize(context: EvalContext, value: object) -> object:
    if context.autoescape and not hasattr(value, "__html__"):
        return Markup(html.escape(str(value), quote=True))
    return value


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Built once per process; templates are compiled on first use and cached by the environment."""
    env = Environment(
        loader=PackageLoader("interviewer.report.render", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2", "svg.j2"),
                                     disabled_extensions=("md.j2",), default=True),
        undefined=StrictUndefined,
        finalize=_finalize,
        # Block tags on their own line leave no blank line behind; the files are data of the
        # package, so nothing reloads them.
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters.update(md=md_escape, quote_block=md_quote_block, code=md_code, token=css_token,
                       f1=one_decimal, signed1=signed_one_decimal)
    env.globals["fmt"] = fmt  # the wording shared with the PDF renderer
    return env


def render(name: str, **context: object) -> str:
    return environment().get_template(name).render(**context)
