"""Prompt templates as data files: `prompts/NAME.md` (shipped as `interviewer.prompts_data`), validated on load.

Each file starts with YAML front matter declaring its variables, then the template body using
Python format fields (`{name}`; write literal braces as `{{` and `}}`):

    ---
    description: what this prompt is for
    variables: [persona_name, style]
    ---
    You are {persona_name}. ...

Loading fails with an error naming the file when the declared variables and the fields in the
body differ, so a typo in a template is caught at start-up (and by the tests), not mid-interview.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from interviewer.resources import prompts_dir

PROMPTS_DIR = prompts_dir()


class PromptError(ValueError):
    """A prompt file is malformed; the message names the file and the problem."""


class _FrontMatter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = ""
    variables: list[str] = []


@dataclass(frozen=True)
class Prompt:
    name: str
    path: Path
    description: str
    variables: frozenset[str]
    body: str

    def render(self, **values: Any) -> str:
        missing = self.variables - values.keys()
        extra = values.keys() - self.variables
        if missing or extra:
            raise PromptError(
                f"{self.path.name}: render() got missing={sorted(missing)} extra={sorted(extra)}"
            )
        return self.body.format(**values)


def body_fields(body: str) -> set[str]:
    fields: set[str] = set()
    for _literal, field, _spec, _conv in string.Formatter().parse(body):
        if field is not None:
            if not field.isidentifier():
                raise ValueError(f"field {{{field}}} is not a plain variable name")
            fields.add(field)
    return fields


def parse_prompt(path: Path) -> Prompt:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise PromptError(f"{path}: must start with YAML front matter ('---')")
    try:
        _, header, body = text.split("---\n", 2)
    except ValueError:
        raise PromptError(f"{path}: front matter is not closed with '---'") from None
    try:
        meta = _FrontMatter.model_validate(yaml.safe_load(header) or {})
    except (yaml.YAMLError, ValidationError) as exc:
        raise PromptError(f"{path}: bad front matter: {exc}") from None
    try:
        fields = body_fields(body)
    except ValueError as exc:
        raise PromptError(f"{path}: {exc}") from None
    declared = set(meta.variables)
    if fields != declared:
        raise PromptError(
            f"{path}: variables declared {sorted(declared)} but the body uses {sorted(fields)}"
        )
    return Prompt(path.stem, path, meta.description, frozenset(declared), body.strip() + "\n")


@lru_cache(maxsize=None)
def load_prompt(name: str, directory: Path = PROMPTS_DIR) -> Prompt:
    path = directory / f"{name}.md"
    if not path.is_file():
        raise PromptError(f"no prompt named {name!r} in {directory}")
    return parse_prompt(path)
