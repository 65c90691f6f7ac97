# spasmdx: `make run` serves on $(HOST):$(PORT); `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8000
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test kb-check bench eval clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(STAMP)

kb-check: install
	$(BIN)/spasmdx kb check

run: kb-check
	$(BIN)/spasmdx serve --host $(HOST) --port $(PORT)

test: kb-check
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m benchmarks.run

eval: install
	$(BIN)/spasmdx eval ../shared/vignettes/public.jsonl tests/cases/*.jsonl

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
