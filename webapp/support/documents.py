"""Text from an uploaded or pasted résumé or job description (PDF, TXT, Markdown).

Errors are `UploadError`s whose message is written for the candidate: the chat shows it as is.
"""

from __future__ import annotations

import io
import re
from typing import Literal

from webapp.support.answers import CONTROL_CHARS, looks_binary

# Uploaded / pasted resumes and job descriptions: enough for any real one, small enough for a
# prompt. The engine budgets tokens again; this cap just keeps junk out.
MAX_CONTEXT_CHARS = 12_000
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
UPLOAD_SUFFIXES = (".pdf", ".txt", ".md", ".markdown")
PDF_PAGES = 20  # a résumé is a page or two; a 300-page PDF is not read whole


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
    """The text layer of the first pages; a protected or broken PDF is an UploadError."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UploadError(f"{name} is password-protected; please upload an unprotected copy.")
        return "\n".join((page.extract_text() or "") for page in reader.pages[:PDF_PAGES])
    except UploadError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UploadError(f"I couldn't read {name} as a PDF ({type(exc).__name__}).") from None


def _decode_text(name: str, data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else Latin-1; binary is refused."""
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
    text = CONTROL_CHARS.sub("", text).replace("\r\n", "\n")
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
