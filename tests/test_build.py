"""The llama.cpp build is portable: flags come from a short list of levels, never AVX-512 or
AMX, and the wheel cache is keyed by everything that decides the binary."""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.llm import build

BASE = "fpu sse4_2 avx avx2 fma f16c bmi2"
AVX512 = "avx512f avx512cd avx512bw avx512dq avx512vl"
XEON_AMX = f"flags : {BASE} {AVX512} avx512vbmi avx512_vnni avx512_bf16 amx_tile amx_int8 amx_bf16\n"
EPYC = f"flags : {BASE} {AVX512} avx512vbmi avx512_vnni avx512_bf16\n"
SKYLAKE_X = f"flags : {BASE} {AVX512}\n"
HASWELL = f"flags : {BASE}\n"
OLD_AVX = "flags : fpu sse4_2 avx\n"
SSE_ONLY = "flags : fpu sse4_2\n"


def level_of(cpuinfo: str) -> build.Level:
    return build.choose_level(build.cpu_flags(cpuinfo), "x86_64")


def test_amx_is_never_built_even_on_a_cpu_that_lists_it() -> None:
    args = build.cmake_args(level_of(XEON_AMX))
    for flag in ("AMX_TILE", "AMX_INT8", "AMX_BF16"):
        assert f"-DGGML_{flag}=OFF" in args
    assert not any("AMX" in a and a.endswith("=ON") for a in args)
    assert "-DGGML_NATIVE=OFF" in args


def test_avx512_is_used_only_with_every_flag_it_needs_and_extensions_only_where_listed() -> None:
    full = level_of(EPYC)
    assert full.name == "x86-64-v4+vbmi+vnni+bf16"
    assert {"-DGGML_AVX512=ON", "-DGGML_AVX512_VNNI=ON", "-DGGML_AVX512_BF16=ON"} <= set(build.cmake_args(full))
    plain = level_of(SKYLAKE_X)
    assert plain.name == "x86-64-v4"
    assert "-DGGML_AVX512=ON" in build.cmake_args(plain) and "-DGGML_AVX512_VNNI=OFF" in build.cmake_args(plain)
    haswell = level_of(HASWELL)
    assert haswell.name == "x86-64-v3"
    assert "-DGGML_AVX512=OFF" in build.cmake_args(haswell) and "-DGGML_AVX2=ON" in build.cmake_args(haswell)
    # Every switch is set explicitly: nothing is left to cmake's (native-leaning) defaults.
    for level in (full, plain, haswell):
        args = build.cmake_args(level)
        assert all(any(a.startswith(f"-DGGML_{flag}=") for a in args) for flag in build.ISA_FLAGS)


def test_a_cpu_without_avx2_gets_a_lower_level_not_a_crashing_one() -> None:
    assert build.choose_level(build.cpu_flags(OLD_AVX), "x86_64").name == "x86-64-avx"
    assert "-DGGML_AVX2=OFF" in build.cmake_args(build.choose_level(build.cpu_flags(OLD_AVX), "x86_64"))
    assert build.choose_level(build.cpu_flags(SSE_ONLY), "x86_64").name == "x86-64-v2"
    assert build.choose_level(frozenset(), "x86_64").name == "generic"
    assert build.choose_level(build.cpu_flags(EPYC), "aarch64").name == "generic"


def test_multimodal_and_tools_are_not_built() -> None:
    args = build.cmake_args(level_of(EPYC))
    assert "-DLLAVA_BUILD=OFF" in args and "-DLLAMA_BUILD_TOOLS=OFF" in args


def test_the_cache_key_changes_with_level_version_and_compiler_but_not_within_a_level() -> None:
    v3, avx = level_of(HASWELL), level_of(OLD_AVX)
    key = build.build_key("0.3.36", v3, "gcc 12", "x86_64")
    assert key.startswith("x86-64-v3-")
    assert key == build.build_key("0.3.36", v3, "gcc 12", "x86_64")
    assert key != build.build_key("0.3.36", avx, "gcc 12", "x86_64")
    assert key != build.build_key("0.3.37", v3, "gcc 12", "x86_64")
    assert key != build.build_key("0.3.36", v3, "gcc 13", "x86_64")
    # An AMX Xeon and an EPYC with the same AVX-512 extensions share a wheel (AMX is never used);
    # a Skylake-X without VNNI gets its own.
    xeon, epyc, skx = level_of(XEON_AMX), level_of(EPYC), level_of(SKYLAKE_X)
    assert build.build_key("0.3.36", xeon, "gcc", "x86_64") == build.build_key("0.3.36", epyc, "gcc", "x86_64")
    assert build.build_key("0.3.36", skx, "gcc", "x86_64") != build.build_key("0.3.36", epyc, "gcc", "x86_64")


def test_the_built_version_is_the_locked_one(tmp_path: Path) -> None:
    from interviewer.config import REPO_ROOT

    assert build.locked_version(REPO_ROOT / "requirements" / "lock.txt") == "0.3.36"
    bad = tmp_path / "lock.txt"
    bad.write_text("numpy==2.0\n")
    with pytest.raises(SystemExit, match="make lock"):
        build.locked_version(bad)


def test_a_cached_wheel_is_found_and_a_partial_build_is_not(tmp_path: Path) -> None:
    assert build.find_wheel(tmp_path / "none", "0.3.36") is None
    (tmp_path / "k.partial").mkdir()
    (tmp_path / "k.partial" / "llama_cpp_python-0.3.36-py3-none-linux_x86_64.whl").write_bytes(b"")
    assert build.find_wheel(tmp_path / "k", "0.3.36") is None
    (tmp_path / "k").mkdir()
    (tmp_path / "k" / "llama_cpp_python-0.3.36-py3-none-linux_x86_64.whl").write_bytes(b"")
    assert build.find_wheel(tmp_path / "k", "0.3.36") is not None


def test_the_installed_llama_cpp_was_built_by_us_for_this_machine() -> None:
    """The wheel in the venv is ours (not pip's native build): the cache holds it under this
    machine's level key."""
    from importlib import metadata

    try:
        dist = metadata.distribution("llama-cpp-python")
    except metadata.PackageNotFoundError:
        pytest.skip("the embedded model server is not installed here")
    level = build.choose_level(build.cpu_flags())
    key = build.build_key(dist.version, level, build.compiler_id())
    assert build.find_wheel(build.wheel_cache() / key, dist.version) is not None, key
