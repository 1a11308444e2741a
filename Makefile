# Two commands: `make run` starts the service, `make test` runs the tests.
# Each creates .venv when it is missing and installs what it needs.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TESTED := $(VENV)/.tested

.PHONY: run test bench model lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# `make run` installs what running needs; `make test` adds the test extras.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

$(TESTED): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(TESTED)

run: $(STAMP)
	$(BIN)/moderation serve

# The console tests need a real Chromium: Debian's package, installed here when missing.
CHROMIUM ?= $(shell command -v chromium || echo /usr/bin/chromium)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = 1

$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
		|| { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }; \
	else echo "The console tests need Chromium: install Debian's 'chromium' package (or set CHROMIUM=/path/to/chromium)." >&2; exit 1; fi

test: $(TESTED) $(CHROMIUM)
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -q

# Benchmarks compare against peers installed from the "bench" extra.
$(VENV)/.bench: $(TESTED)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(VENV)/.bench

bench: $(VENV)/.bench
	$(BIN)/python benchmarks/classifier.py

# Retrain the shipped model from ../shared/datasets.
model: $(STAMP)
	$(BIN)/moderation train --out classifier/models/default.model

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
