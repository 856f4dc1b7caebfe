"""Build llama-cpp-python for this CPU family without ever using an instruction it may lack.

Why this exists: `pip install llama-cpp-python` compiles llama.cpp with `-march=native`, and pip
caches the wheel by its sdist, whatever the CPU. A wheel built natively on one machine crashed
with SIGILL on another (AMX `tilezero` on an Intel Xeon), and a native build is never safe to
copy. So we build with `GGML_NATIVE=OFF` and an explicit instruction set chosen from a short
list of levels read off /proc/cpuinfo (x86-64-v4 = AVX-512 with the extensions the CPU lists,
x86-64-v3 = AVX2/FMA/F16C/BMI2, then older ones), never AMX, and keep the wheel in our own cache
under a key made of everything that decides its contents, the level included: a wheel is reused
only on CPUs of the same level. pip's own wheel cache is bypassed (`--no-cache-dir`).

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
# Every instruction-set switch we decide on; whatever a level does not turn on is turned off, so
# nothing depends on cmake's defaults.
ISA_FLAGS: tuple[str, ...] = (
    "SSE42", "AVX", "AVX2", "FMA", "F16C", "BMI2", "AVX512", "AVX512_VBMI", "AVX512_VNNI",
    "AVX512_BF16", "AVX_VNNI",
)  # fmt: skip
# Never on, whatever the CPU says: AMX kernels are what crashed (SIGILL in `tilezero` on a Xeon),
# and the cpuinfo flag alone does not prove the OS lets a process use the tiles.
NEVER_FLAGS: tuple[str, ...] = ("-DGGML_AMX_TILE=OFF", "-DGGML_AMX_INT8=OFF", "-DGGML_AMX_BF16=OFF")


@dataclass(frozen=True)
class Level:
    """An instruction-set level: the CPU flags it needs and the ggml switches it turns on."""

    name: str
    needs: frozenset[str]
    on: tuple[str, ...]


V3_NEEDS = frozenset({"sse4_2", "avx", "avx2", "fma", "f16c", "bmi2"})
V3_ON = ("SSE42", "AVX", "AVX2", "FMA", "F16C", "BMI2")
V4_NEEDS = V3_NEEDS | {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}
# Optional AVX-512 extensions: used only where the CPU lists them, and part of the level's name
# (so of the wheel's cache key): a wheel that uses VNNI is never reused on a CPU without it.
V4_EXTRAS: tuple[tuple[str, str, str], ...] = (
    ("avx512vbmi", "AVX512_VBMI", "vbmi"),
    ("avx512_vnni", "AVX512_VNNI", "vnni"),
    ("avx512_bf16", "AVX512_BF16", "bf16"),
)
# Highest first; the first level whose needs the CPU meets is built.
X86_LEVELS: tuple[Level, ...] = (
    Level("x86-64-v4", V4_NEEDS, (*V3_ON, "AVX512")),
    Level("x86-64-v3", V3_NEEDS, V3_ON),
    Level("x86-64-avx", frozenset({"sse4_2", "avx"}), ("SSE42", "AVX")),
    Level("x86-64-v2", frozenset({"sse4_2"}), ("SSE42",)),
)
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
    level = next((lv for lv in X86_LEVELS if lv.needs <= flags), GENERIC)
    if level.name != "x86-64-v4":
        return level
    extras = [(switch, tag) for flag, switch, tag in V4_EXTRAS if flag in flags]
    name = level.name + "".join(f"+{tag}" for _, tag in extras)
    return Level(name, level.needs | {f for f, _, _ in V4_EXTRAS if f in flags},
                 level.on + tuple(switch for switch, _ in extras))


def cmake_args(level: Level) -> list[str]:
    if not level.name.startswith("x86"):
        return list(COMMON_FLAGS)
    isa = [f"-DGGML_{flag}={'ON' if flag in level.on else 'OFF'}" for flag in ISA_FLAGS]
    return [*COMMON_FLAGS, *isa, *NEVER_FLAGS]


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
