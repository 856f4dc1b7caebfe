"""The install is the locked set: pyproject.toml and requirements/lock.txt agree, and what is
installed in this environment is exactly what the lock pins (nothing more, nothing else)."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from interviewer.config import REPO_ROOT

LOCK = REPO_ROOT / "requirements" / "lock.txt"
# Installed but never locked: the installer itself and this project.
UNLOCKED = {"pip", "interviewer"}


def locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in LOCK.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", line)
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def declared() -> list[Requirement]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in project.get("optional-dependencies", {}).values():
        reqs += [Requirement(r) for r in extra]
    build_in = REPO_ROOT / "requirements" / "build.in"
    for line in build_in.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            reqs.append(Requirement(line))
    return reqs


def test_every_declared_requirement_is_pinned_by_the_lock_at_a_version_it_allows() -> None:
    pins = locked()
    problems = []
    for req in declared():
        version = pins.get(canonicalize_name(req.name))
        if version is None:
            problems.append(f"{req} is not in the lock")
        elif not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req} but the lock pins {version}")
    assert not problems, "run `make lock`: " + "; ".join(problems)


def test_the_lock_pins_what_sqlalchemy_asyncio_needs() -> None:
    # SQLAlchemy 2.1 stopped installing greenlet; without it the app failed at start.
    assert "greenlet" in locked()


def test_installed_versions_are_the_locked_ones() -> None:
    pins = locked()
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    wrong = {name: (installed[name], pins[name]) for name in pins if name in installed and installed[name] != pins[name]}
    assert not wrong, f"installed != locked: {wrong}"
    extra = sorted(set(installed) - set(pins) - UNLOCKED)
    assert not extra, f"installed but not in the lock: {extra}"


def test_the_test_environment_has_the_whole_lock() -> None:
    """`make test` installs every extra, so every pin must be present (a pin nothing installs
    would mean the lock and the Makefile disagree)."""
    installed = {canonicalize_name(d.metadata["Name"]) for d in metadata.distributions()}
    missing = sorted(set(locked()) - installed)
    if missing and not (REPO_ROOT / ".venv" / ".installed-dev").exists():
        pytest.skip("not the `make test` environment")
    assert not missing, f"locked but not installed: {missing}"
