"""Build llama-cpp-python for this CPU family without ever using an instruction it may lack.

Why this exists: `pip install llama-cpp-python` compiles llama.cpp with `-march=native`, and pip
caches the wheel by its sdist, whatever the CPU. A wheel built natively on one machine crashed
with SIGILL on another (AMX `tilezero` on an Intel Xeon), and a native build is never safe to
copy. So we build with `GGML_NATIVE=OFF` and an explicit, conservative instruction set chosen
from a short list of levels (x86-64-v3 = AVX2/FMA/F16C/BMI2 for any machine that has them), never
AVX-512 or AMX, and keep the wheel in our own cache under a key made of everything that decides
its contents. pip's own wheel cache is bypassed (`--no-cache-dir`).

Stdlib only: this runs before the model server is installed. `python -m interviewer.llm.build`
prints the path of a wheel for this machine, building it first if the cache has none.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "llama-cpp-python"

# What we never need from llama.cpp here: the multimodal library (LLAVA_BUILD), its tests,
# examples and command-line tools. Dropping them keeps the build short on 2 cores.
COMMON_FLAGS: tuple[str, ...] = (
    "-DGGML_NATIVE=OFF",
    "-DLLAVA_BUILD=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_TOOLS=OFF",
    "-DLLAMA_BUILD_SERVER=OFF",
)
# Always off, whatever the CPU says: these are the kernels that crashed, and the wheel must stay
# valid on every machine of its level.
NEVER_FLAGS: tuple[str, ...] = (
    "-DGGML_AVX512=OFF",
    "-DGGML_AVX512_VBMI=OFF",
    "-DGGML_AVX512_VNNI=OFF",
    "-DGGML_AVX512_BF16=OFF",
    "-DGGML_AVX_VNNI=OFF",
    "-DGGML_AMX_TILE=OFF",
    "-DGGML_AMX_INT8=OFF",
    "-DGGML_AMX_BF16=OFF",
)


@dataclass(frozen=True)
class Level:
    """An instruction-set level: the CPU flags it needs and the cmake switches that use them."""

    name: str
    needs: frozenset[str]
    cmake: tuple[str, ...]


# Highest first; the first level whose needs the CPU meets is built.
X86_LEVELS: tuple[Level, ...] = (
    Level(
        "x86-64-v3",
        frozenset({"avx", "avx2", "fma", "f16c", "bmi2"}),
        ("-DGGML_AVX=ON", "-DGGML_AVX2=ON", "-DGGML_FMA=ON", "-DGGML_F16C=ON", "-DGGML_BMI2=ON"),
    ),
    Level(
        "x86-64-avx",
        frozenset({"avx"}),
        ("-DGGML_AVX=ON", "-DGGML_AVX2=OFF", "-DGGML_FMA=OFF", "-DGGML_F16C=OFF", "-DGGML_BMI2=OFF"),
    ),
    Level(
        "x86-64-v2",
        frozenset({"sse4_2"}),
        ("-DGGML_SSE42=ON", "-DGGML_AVX=OFF", "-DGGML_AVX2=OFF", "-DGGML_FMA=OFF", "-DGGML_F16C=OFF",
         "-DGGML_BMI2=OFF"),
    ),
)  # fmt: skip
GENERIC = Level("generic", frozenset(), ())


def cpu_flags(cpuinfo: str | None = None) -> frozenset[str]:
    """The `flags` of the first processor in /proc/cpuinfo (empty where there is none)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return frozenset()
    match = re.search(r"^flags\s*:\s*(.*)$", cpuinfo, re.MULTILINE)
    return frozenset(match.group(1).split()) if match else frozenset()


def choose_level(flags: frozenset[str], machine: str | None = None) -> Level:
    machine = (machine or platform.machine()).lower()
    if machine not in {"x86_64", "amd64"}:
        return GENERIC
    return next((level for level in X86_LEVELS if level.needs <= flags), GENERIC)


def cmake_args(level: Level) -> list[str]:
    extra = NEVER_FLAGS if level.name.startswith("x86") else ()
    return [*COMMON_FLAGS, *level.cmake, *extra]


def compiler_id() -> str:
    """First line of the C++ compiler's version: a compiler change can change the binary."""
    cxx = os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++") or "c++"
    try:
        out = subprocess.run([cxx, "--version"], capture_output=True, text=True, check=False)
        return out.stdout.splitlines()[0].strip() if out.stdout else cxx
    except OSError:
        return cxx


def build_key(version: str, level: Level, compiler: str, machine: str | None = None) -> str:
    """Everything that decides the wheel's contents, hashed. The CPU enters only through its level,
    so the wheel is shared by every CPU of that level and never by one below it."""
    parts = [PACKAGE, version, machine or platform.machine(), level.name, " ".join(cmake_args(level)),
             compiler]  # fmt: skip
    return f"{level.name}-{hashlib.sha256(chr(0).join(parts).encode()).hexdigest()[:16]}"


def locked_version(lock: Path) -> str:
    match = re.search(rf"^{PACKAGE}==([^\s;]+)", lock.read_text(), re.MULTILINE | re.IGNORECASE)
    if not match:
        raise SystemExit(f"{lock} pins no {PACKAGE}; regenerate it with `make lock`.")
    return match.group(1)


def wheel_cache(root: Path | None = None) -> Path:
    if root is not None:
        return root
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "interviewer" / "llama-wheels"


def find_wheel(directory: Path, version: str) -> Path | None:
    if not directory.is_dir():
        return None
    found = sorted(directory.glob(f"llama_cpp_python-{version}-*.whl"))
    return found[0] if found else None


def build(version: str, level: Level, out_dir: Path, jobs: int | None = None) -> Path:
    """Compile the wheel into `out_dir` (in a temporary folder first, so a cut build leaves none)."""
    tmp = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    env = dict(os.environ)
    env["CMAKE_ARGS"] = " ".join(cmake_args(level))
    env["CMAKE_BUILD_PARALLEL_LEVEL"] = str(jobs or os.cpu_count() or 1)
    env["FORCE_CMAKE"] = "1"
    cmd = [
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-cache-dir",
        "--no-binary", PACKAGE, f"{PACKAGE}=={version}", "-w", str(tmp),
    ]  # fmt: skip
    started = time.monotonic()
    print(f"[build] llama.cpp {version} for {level.name} (a few minutes, once per CPU level)",
          file=sys.stderr)
    # pip's output goes to stderr too: stdout carries only the wheel's path, for the Makefile.
    subprocess.run(cmd, env=env, check=True, stdout=sys.stderr)
    wheel = find_wheel(tmp, version)
    if wheel is None:
        raise SystemExit(f"pip built no wheel for {PACKAGE}=={version} in {tmp}")
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)
    print(f"[build] done in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return out_dir / wheel.name


def ensure_wheel(lock: Path, cache: Path | None = None, *, rebuild: bool = False) -> Path:
    version = locked_version(lock)
    level = choose_level(cpu_flags())
    out_dir = wheel_cache(cache) / build_key(version, level, compiler_id())
    if rebuild:
        shutil.rmtree(out_dir, ignore_errors=True)
    return find_wheel(out_dir, version) or build(version, level, out_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lock", type=Path, default=Path("requirements/lock.txt"))
    parser.add_argument("--cache", type=Path, default=None, help="wheel cache folder")
    parser.add_argument("--rebuild", action="store_true", help="build again even if cached")
    parser.add_argument("--show", action="store_true", help="print the level and flags, build nothing")
    args = parser.parse_args(argv)
    if args.show:
        level = choose_level(cpu_flags())
        print(f"level: {level.name}\nCMAKE_ARGS: {' '.join(cmake_args(level))}")
        return 0
    print(ensure_wheel(args.lock, args.cache, rebuild=args.rebuild))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
