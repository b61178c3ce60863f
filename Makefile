# `make demo` and `make test` work from a clean clone: they create .venv and install.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/railguard demo --output-dir railguard-demo

test: $(STAMP)
	$(BIN)/ruff check railguard tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -n auto --dist loadfile -p no:cacheprovider --durations=20

lint: $(STAMP)
	$(BIN)/ruff check railguard tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) railguard-demo .pytest_cache .mypy_cache .ruff_cache
