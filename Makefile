# Two commands: `make run` starts the service, `make test` runs the tests.
# Each creates .venv when it is missing and installs what it needs.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench model lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/moderator serve

test: $(STAMP)
	$(BIN)/python -m pytest -q

# Benchmarks compare against peers installed from the "bench" extra.
$(VENV)/.bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(VENV)/.bench

bench: $(VENV)/.bench
	$(BIN)/python benchmarks/classifier.py

# Retrain the shipped model from ../shared/datasets.
model: $(STAMP)
	$(BIN)/moderator train --out classifier/models/default.model

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
