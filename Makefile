# Two commands do all the set-up (see README):
#   make run    install everything, fetch + verify the embedded model, start the app
#   make test   install everything plus test tools and Chromium, run the whole suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test install install-dev model system-deps bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependency list changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "[make] installing the app and the embedded model server (first time: ~5 min, builds llama.cpp)"
	$(BIN)/python -m pip install --quiet -e '.[local]'
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[local,dev]'
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

model: $(VENV)/.installed
	$(BIN)/interviewer fetch-model

system-deps:
	bash scripts/install-system-deps.sh

run: install model
	$(BIN)/interviewer doctor
	$(BIN)/interviewer app --host $(HOST) --port $(PORT) --headless

test: install-dev model system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install-dev model
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache
