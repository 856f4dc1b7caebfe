"""Framework-free helpers behind the browser app's handlers (app.py stays a thin shell).

Everything here is plain Python on plain data so it is unit-testable without Chainlit: checking
what the candidate typed, reading uploaded resumes, parsing `/commands`, turning settings into a
`CandidateContext`, and formatting an evaluation for the collapsed score step.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from interviewer.session import (
    DIMENSIONS,
    CandidateContext,
    Dimension,
    EvalStatus,
    Evaluation,
    Session,
    Turn,
)

# A pasted answer beyond this is almost certainly a document, not something said in an interview.
# The engine separately trims long answers to its token budget for the model (text stays whole).
MAX_ANSWER_CHARS = 20_000
# Uploaded / pasted resumes and job descriptions: enough for any real one, small enough for a
# prompt. The engine budgets tokens again; this cap just keeps junk out.
MAX_CONTEXT_CHARS = 12_000
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
UPLOAD_SUFFIXES = (".pdf", ".txt", ".md", ".markdown")

LEVELS: tuple[str, ...] = ("junior", "mid-level", "senior", "staff", "principal")
DEFAULT_ROLE = "Software engineer"
DEFAULT_LEVEL = "mid-level"
PROBING_DEPTHS: tuple[str, ...] = ("light", "normal", "deep")
DIMENSION_LABELS: dict[Dimension, str] = {
    Dimension.HONESTY: "Honesty",
    Dimension.ROOT_CAUSE: "Root cause",
    Dimension.STORYTELLING: "Storytelling",
}

HELP_TEXT = """**Commands**
- `/end`: finish the interview and get your feedback report
- `/persona NAME`: switch interviewer and keep the conversation (e.g. `/persona dour-cto`)
- `/scores on` or `/scores off`: show or hide the scores under each answer
- `/ledger`: the claims kept from your interviews, which a new interview compares your answers with
- `/forget-ledger`: delete those claims (asks first; your interviews and reports stay)
- `/help`: this list

Attach a **PDF, TXT or Markdown** resume or job description with the paperclip, or paste it in
the settings panel, and the interviewer will ask about your own work."""


# -- answers -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class AnswerCheck:
    """What to do with a message: `text` to send to the engine, or `problem` to show instead."""

    text: str
    problem: str | None = None
    notice: str | None = None  # sent along with the answer (e.g. "I removed control characters")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def looks_binary(text: str) -> bool:
    """NUL bytes, or lots of control / replacement characters: a file dumped into the box."""
    if "\x00" in text:
        return True
    if not text:
        return False
    odd = sum(1 for ch in text if ch == "\ufffd" or (unicodedata.category(ch) == "Cc" and ch not in "\n\r\t"))
    # A stray control character from a copy-paste is cleaned, not refused.
    return odd >= 4 and odd / len(text) > 0.05


def check_answer(text: str | None) -> AnswerCheck:
    """Screen a candidate message before it reaches the engine.

    Empty answers go through: the engine owns the gentle re-prompt. HTML or instructions aimed at
    the interviewer also go through unchanged: Chainlit escapes HTML (unsafe_allow_html = false)
    and the engine/evaluator treat the answer as data, never as instructions."""
    text = text or ""
    if looks_binary(text):
        return AnswerCheck(
            "",
            problem="That looks like binary data rather than an answer, so I didn't send it to "
            "the interviewer. Type or paste your answer as text; to share a resume, attach it "
            "as a PDF, TXT or Markdown file.",
        )
    if len(text) > MAX_ANSWER_CHARS:
        return AnswerCheck(
            "",
            problem=f"That paste is {len(text):,} characters long; an answer in an interview is "
            f"rarely more than a few hundred words. Please answer in your own words (under "
            f"{MAX_ANSWER_CHARS:,} characters). To share a resume or job description, attach the "
            "file instead.",
        )
    cleaned = _CONTROL.sub("", text)
    notice = "I removed some invisible control characters from your answer." if cleaned != text else None
    return AnswerCheck(cleaned.strip(), notice=notice)


# -- commands ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Command:
    name: Literal["end", "persona", "scores", "ledger", "forget-ledger", "help", "unknown"]
    argument: str = ""


_COMMANDS = {"end": "end", "finish": "end", "report": "end", "persona": "persona", "switch": "persona",
             "scores": "scores", "ledger": "ledger", "forget-ledger": "forget-ledger", "help": "help", "?": "help"}


def parse_command(text: str) -> Command | None:
    """`/end`, `/persona dour-cto`, `/scores off`, `/forget-ledger yes`, `/help`; None for ordinary answers.

    Only a leading slash followed by a word counts, so an answer like "/var/log was full" is an
    answer, not an unknown command."""
    stripped = text.strip()
    match = re.fullmatch(r"/([a-zA-Z?]+(?:-[a-zA-Z]+)*)(?:\s+(.*))?", stripped, flags=re.DOTALL)
    if not match:
        return None
    word = match.group(1).lower()
    name = _COMMANDS.get(word)
    if name is None:
        return Command("unknown", word)
    return Command(name, (match.group(2) or "").strip())  # type: ignore[arg-type]


def resolve_persona(query: str, personas: Sequence[tuple[str, str]]) -> str | None:
    """Match `/persona` input against (id, display name) pairs: id, name, or a unique prefix."""
    wanted = _slug(query)
    if not wanted:
        return None
    exact = [pid for pid, name in personas if wanted in (_slug(pid), _slug(name))]
    if exact:
        return exact[0]
    partial = [pid for pid, name in personas if _slug(pid).startswith(wanted) or _slug(name).startswith(wanted)]
    return partial[0] if len(partial) == 1 else None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def parse_switch(argument: str) -> bool | None:
    value = argument.strip().lower()
    if value in ("on", "show", "yes", "true", "1"):
        return True
    if value in ("off", "hide", "no", "false", "0"):
        return False
    return None


# -- uploads -----------------------------------------------------------------------------------
class UploadError(ValueError):
    """A file we can't use; the message is written for the candidate."""


def extract_upload_text(name: str, data: bytes, mime: str | None = None) -> str:
    """Text from an uploaded resume / job description (PDF, TXT, Markdown)."""
    lower = name.lower()
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(f"{name} is {len(data) / 1e6:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 1_000_000} MB.")
    if not data:
        raise UploadError(f"{name} is empty.")
    is_pdf = lower.endswith(".pdf") or mime == "application/pdf" or data[:5] == b"%PDF-"
    if is_pdf:
        text = _pdf_text(name, data)
    elif lower.endswith(UPLOAD_SUFFIXES) or (mime or "").startswith("text/"):
        text = _decode_text(name, data)
    else:
        raise UploadError(f"{name}: I can read PDF, TXT and Markdown files only.")
    text = normalise_context_text(text)
    if not text:
        raise UploadError(
            f"I couldn't find any text in {name}"
            + (" (is it a scanned image? try a text PDF or paste the text)." if is_pdf else ".")
        )
    return text


def _pdf_text(name: str, data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UploadError(f"{name} is password-protected; please upload an unprotected copy.")
        return "\n".join((page.extract_text() or "") for page in reader.pages[:20])
    except UploadError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UploadError(f"I couldn't read {name} as a PDF ({type(exc).__name__}).") from None


def _decode_text(name: str, data: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig",):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = data.decode("latin-1")
    if looks_binary(text):
        raise UploadError(f"{name} doesn't look like a text file.")
    return text


def normalise_context_text(text: str) -> str:
    text = _CONTROL.sub("", text).replace("\r\n", "\n")
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if len(text) > MAX_CONTEXT_CHARS:
        text = text[:MAX_CONTEXT_CHARS].rsplit(" ", 1)[0] + " …"
    return text


def classify_upload(text: str, name: str) -> Literal["resume", "job_description"]:
    """Is this file a job description or a resume? File name first, then tell-tale phrases."""
    lower_name = name.lower()
    if any(k in lower_name for k in ("job", "jd", "posting", "description", "role")):
        return "job_description"
    if any(k in lower_name for k in ("cv", "resume", "résumé")):
        return "resume"
    head = text[:3000].lower()
    jd_hits = sum(p in head for p in ("responsibilities", "requirements", "we are looking", "you will", "what you'll do", "qualifications"))
    cv_hits = sum(p in head for p in ("experience", "education", "skills", "projects"))
    return "job_description" if jd_hits > cv_hits else "resume"


# -- settings ----------------------------------------------------------------------------------
SETTING_PERSONA = "persona"
SETTING_ROLE = "role"
SETTING_LEVEL = "level"
SETTING_JD = "job_description"
SETTING_RESUME = "resume"
SETTING_DEPTH = "probing_depth"
SETTING_SCORES = "show_scores"


@dataclass(frozen=True)
class AppPreferences:
    """The settings panel as plain data."""

    persona: str | None
    context: CandidateContext
    probing_depth: str = "normal"
    show_scores: bool = True


def preferences_from_settings(values: Mapping[str, Any]) -> AppPreferences:
    role = str(values.get(SETTING_ROLE) or "").strip()[:120] or DEFAULT_ROLE
    level = str(values.get(SETTING_LEVEL) or DEFAULT_LEVEL)
    if level not in LEVELS:
        level = DEFAULT_LEVEL
    depth = str(values.get(SETTING_DEPTH) or "normal")
    if depth not in PROBING_DEPTHS:
        depth = "normal"
    context = CandidateContext(
        role=role,
        level=level,
        job_description=normalise_context_text(str(values.get(SETTING_JD) or "")),
        resume=normalise_context_text(str(values.get(SETTING_RESUME) or "")),
    )
    persona = values.get(SETTING_PERSONA)
    return AppPreferences(
        persona=str(persona) if persona else None,
        context=context,
        probing_depth=depth,
        show_scores=bool(values.get(SETTING_SCORES, True)),
    )


# -- presentation ------------------------------------------------------------------------------
def thread_name(persona_name: str, context: CandidateContext, when: datetime | None = None) -> str:
    stamp = (when or datetime.now()).strftime("%d %b %H:%M")
    return f"{persona_name} · {context.level} {context.role} · {stamp}"


def _stars(score: int | None) -> str:
    return "—" if score is None else "●" * score + "○" * (5 - score)


def score_step_name(evaluation: Evaluation | None, answer_number: int | None = None) -> str:
    """Chainlit titles a finished step "Used <name>", so the name reads on from there. Scores
    land while the next question is already on screen, so the name says which answer."""
    who = f"the evaluator on answer {answer_number}" if answer_number else "the evaluator"
    if evaluation is None or evaluation.status is EvalStatus.PENDING:
        return f"{who} (still scoring)"
    if evaluation.status is EvalStatus.UNAVAILABLE:
        return f"{who}: score unavailable"
    parts = [f"{DIMENSION_LABELS[d]} {_value(evaluation.score(d))}" for d in DIMENSIONS]
    return f"{who}: " + " · ".join(parts)


def _value(score: int | None) -> str:
    return f"{score}/5" if score is not None else "n/a"


def evaluation_markdown(evaluation: Evaluation | None) -> str:
    """The step's body: scores, the quotes they rest on, the rationale and any flags."""
    if evaluation is None or evaluation.status is EvalStatus.PENDING:
        return "The evaluator is still reading this answer."
    if evaluation.status is EvalStatus.UNAVAILABLE:
        reason = f" ({evaluation.error})" if evaluation.error else ""
        return (
            f"The evaluator couldn't score this answer{reason}. No number is shown rather than a "
            "made-up one; it is retried before the report."
        )
    lines = ["| Dimension | Score | |", "|---|---|---|"]
    for dim in DIMENSIONS:
        value = evaluation.score(dim)
        lines.append(f"| {DIMENSION_LABELS[dim]} | {value if value is not None else 'n/a'} | {_stars(value)} |")
    for dim in DIMENSIONS:
        quotes = evaluation.evidence.get(dim.value) or []
        why = evaluation.rationale.get(dim.value)
        if not quotes and not why:
            continue
        lines.append(f"\n**{DIMENSION_LABELS[dim]}**" + (f": {why}" if why else ""))
        lines.extend(f"> {_one_line(q)}" for q in quotes[:3])
    if evaluation.flags:
        lines.append("\n**Flags:** " + "; ".join(_one_line(f) for f in evaluation.flags))
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def question_display(turn: Turn, is_panel: bool) -> str:
    """On a panel, say who is asking: Chainlit shows no author names, only an avatar."""
    if is_panel and turn.speaker is not None:
        role = f" · {turn.speaker.role}" if turn.speaker.role else ""
        return f"**{turn.speaker.name}**{role}\n\n{turn.text}"
    return turn.text


def thinking_text(interviewers: Sequence[str]) -> str:
    """What the chat shows while the model reads and writes, until its first words arrive.
    Plain text on purpose: it is streamed, and half-rendered markdown showed its underscores."""
    if len(interviewers) == 1:
        return f"{interviewers[0]} is thinking…"
    return "The panel is thinking…" if interviewers else "The interviewer is thinking…"


def resume_summary(session: Session) -> str:
    answers = session.answers()
    scored = sum(1 for t in answers if t.evaluation and t.evaluation.status is EvalStatus.OK)
    state = "finished" if session.finished else "in progress"
    return (
        f"Welcome back. This interview is {state}: {len(answers)} answer"
        f"{'s' if len(answers) != 1 else ''} so far, {scored} scored."
    )


def needs_next_question(session: Session) -> bool:
    """After a crash between the candidate's answer and the interviewer's reply, the session ends
    with an answer; the resumed chat must ask the next question instead of waiting in silence."""
    if session.finished or not session.turns:
        return False
    last = next((t for t in reversed(session.turns) if t.role != "system"), None)
    return last is not None and last.role == "candidate"


def unscored_answers(session: Session) -> list[Turn]:
    """Answers whose scoring started but hasn't succeeded (answers in unscored phases, like the
    warm-up, carry no evaluation at all and are not waited for)."""
    return [t for t in session.answers() if t.evaluation is not None and t.evaluation.status is not EvalStatus.OK]
