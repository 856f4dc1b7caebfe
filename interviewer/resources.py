"""Where the shipped data files are: prompt templates, the question bank, probes and rubric
(`prompts/`), and the interviewer personas (`personas/`), plus the user's own persona folder.

The folders stay at the top of the repository; the wheel ships them inside the package as
`interviewer.prompts_data` and `interviewer.personas_data` (pyproject.toml maps them with
`package-dir`), and they are found with `importlib.resources`, so a plain `pip install .` works
from any directory. A source checkout used through PYTHONPATH alone has no such mapping: then the
folders next to the package are used.

Personas can be added or overridden without touching the package: every `*.yaml` in the
folder `Settings.personas_dir` names (INTERVIEWER_PERSONAS_DIR, or else
`$XDG_CONFIG_HOME/interviewer/personas`, `~/.config/interviewer/personas` by default) is loaded
after the shipped ones; a file with the same name as a shipped persona replaces it.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from interviewer.config import Settings, load_settings

PROMPTS_PACKAGE = "interviewer.prompts_data"
PERSONAS_PACKAGE = "interviewer.personas_data"
SOURCE_ROOT = Path(__file__).resolve().parent.parent


class DataFilesMissing(FileNotFoundError):
    """The package was installed without its data files."""


def _data_dir(package: str, folder: str) -> Path:
    # A source checkout reads its own data files, even when an editable install of another
    # checkout (a git worktree next to it) maps the data packages elsewhere.
    if (SOURCE_ROOT / "pyproject.toml").is_file() and (SOURCE_ROOT / folder).is_dir():
        return SOURCE_ROOT / folder
    try:
        found = resources.files(package)
    except ModuleNotFoundError:  # a source checkout on PYTHONPATH: no package-dir mapping
        source = SOURCE_ROOT / folder
        if source.is_dir():
            return source
        raise DataFilesMissing(f"{package} is not installed and {source} does not exist") from None
    if not isinstance(found, Path):  # a zipped install: we read files by path, so refuse clearly
        raise DataFilesMissing(f"{package} must be installed as plain files, not {type(found).__name__}")
    return found


@lru_cache(maxsize=None)
def prompts_dir() -> Path:
    """Prompt templates (*.md), question_bank.yaml, interviewer_probes.yaml and rubric.yaml."""
    return _data_dir(PROMPTS_PACKAGE, "prompts")


@lru_cache(maxsize=None)
def personas_dir() -> Path:
    """The personas shipped with the package (*.yaml)."""
    return _data_dir(PERSONAS_PACKAGE, "personas")


def user_personas_dir(settings: Settings | None = None) -> Path:
    """The user's persona folder (it need not exist). Without `settings` they are read here, so
    INTERVIEWER_PERSONAS_DIR in `.env` counts as much as in the environment."""
    return (settings or load_settings()).personas_dir
