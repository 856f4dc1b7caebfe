"""A plain (non-editable) `pip install .` works from any directory: prompts, personas, the question
bank and the rubric ship inside the wheel and load through importlib.resources, and a user's
persona folder adds personas to the installed package. No test double is installed: the fake model
server, the fake chat model and the app driver live in testkit/ at the repository root, which the
source copy includes (as a checkout does) and the wheel leaves out.

The wheel goes into a throw-away venv made with --system-site-packages; the dependencies come from
this test environment through a path entry (not its .pth files, so the editable install of the
checkout stays out of the way). Nothing is downloaded (--no-deps --no-build-isolation).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from testkit import FakeLLMServer

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
SHIPPED = ("pyproject.toml", "README.md", "interviewer", "prompts", "personas")
# In the checkout next to the package, never in the wheel.
NOT_SHIPPED = ("testkit",)
DOUBLES = ("fake_server", "fake_app", "fake_protocol")


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kwargs)  # type: ignore[call-overload]
    assert result.returncode == 0, f"{cmd}\n{result.stdout}\n{result.stderr}"
    return result  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with the package installed from a copy of the source (the checkout stays clean)."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    for name in SHIPPED + NOT_SHIPPED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(src, source / name)
    venv = base / "venv"
    run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (site / "test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
         "--no-build-isolation", "--no-index", str(source)], cwd=base)
    return venv


def purelib(venv: Path) -> Path:
    probe = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    return Path(run([str(venv / "bin" / "python"), "-c", probe]).stdout.strip())


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEWER_", "PYTHON"))}
    env.update(extra)
    return env


def test_the_installed_package_reads_its_data_from_site_packages(installed: Path, tmp_path: Path) -> None:
    python = installed / "bin" / "python"
    probe = (
        "import interviewer, interviewer.resources as r;"
        "print(interviewer.__file__); print(r.prompts_dir()); print(r.personas_dir())"
    )
    lines = run([str(python), "-c", probe], cwd=tmp_path, env=clean_env()).stdout.split()
    assert all(str(installed) in line for line in lines), lines
    assert not any(str(ROOT) in line for line in lines), lines


def test_the_wheel_installs_no_test_double(installed: Path, tmp_path: Path) -> None:
    site = purelib(installed)
    record = next(site.glob("interviewer-*.dist-info")) / "RECORD"
    names = [line.split(",")[0] for line in record.read_text().splitlines()]
    assert any(n.startswith("interviewer/resources.py") for n in names), names  # the right RECORD
    doubles = [n for n in names if n.startswith(("testkit/", "interviewer/testing/"))
               or Path(n).stem in DOUBLES or "/testing/" in n]
    assert doubles == []
    on_disk = [str(p.relative_to(site)) for p in site.rglob("*")
               if p.name in ("testkit", "testing") or p.stem in DOUBLES]
    assert on_disk == []
    # Nor importable by the installed interpreter from elsewhere (the checkout is not on its path).
    probe = "import importlib.util as u; print([n for n in ('testkit', 'interviewer.testing') if u.find_spec(n)])"
    assert run([str(installed / "bin" / "python"), "-c", probe], cwd=tmp_path, env=clean_env()).stdout.strip() == "[]"


def test_this_test_takes_its_fake_server_from_the_checkout() -> None:
    """The fake the tests below run comes from testkit/ in the repository, not the installed package."""
    import testkit

    assert FakeLLMServer.__module__ == "testkit.fake_server"
    assert Path(testkit.__file__).resolve().is_relative_to(ROOT)


def test_rehearse_from_another_directory_with_a_user_persona(installed: Path, tmp_path: Path) -> None:
    user_personas = tmp_path / "my-personas"
    user_personas.mkdir()
    text = (ROOT / "personas" / "friendly-team.yaml").read_text().replace("name: Friendly team", "name: Night shift")
    (user_personas / "night-shift.yaml").write_text(text)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with FakeLLMServer() as fake:
        env = clean_env(
            INTERVIEWER_BACKEND="openai-compatible",
            INTERVIEWER_BASE_URL=fake.url,
            INTERVIEWER_PERSONAS_DIR=str(user_personas),
            XDG_CACHE_HOME=str(tmp_path / "cache"),
        )
        result = run(
            [str(installed / "bin" / "interviewer"), "rehearse", "--persona", "night-shift",
             "--answers", str(DATA / "answers_normal.txt"), "--out", "out", "--no-eval"],
            cwd=elsewhere, env=env,
        )
    assert "backend=openai-compatible" in result.stderr + result.stdout
    report = (elsewhere / "out" / "report.md").read_text()
    assert "Night shift" in report
    assert (elsewhere / "out" / "transcript.json").is_file()


def test_the_installed_package_renders_reports_from_its_own_templates(installed: Path, tmp_path: Path) -> None:
    """The report templates are package data: a wheel without them would fail here (the CLI's
    report.md alone would not show it: it falls back to a plain transcript)."""
    probe = (
        "import asyncio, pathlib, sys\n"
        "from interviewer.report import build_report, render_html, render_markdown\n"
        "from interviewer.report.render import templating\n"
        "from interviewer.session import Session\n"
        "report = asyncio.run(build_report(Session.from_json(pathlib.Path(sys.argv[1]).read_text())))\n"
        "assert render_html(report).startswith('<!DOCTYPE html>') and '<svg' in render_html(report)\n"
        "assert render_markdown(report).startswith('# Interview feedback')\n"
        "for name in ('report.html.j2', 'report.md.j2', 'chart.svg.j2'):\n"
        "    print(templating.environment().get_template(name).filename)\n"
    )
    lines = run([str(installed / "bin" / "python"), "-c", probe, str(DATA / "sessions" / "unit_panel.json")],
                cwd=tmp_path, env=clean_env()).stdout.split()
    assert len(lines) == 3 and all(str(installed) in line for line in lines), lines
