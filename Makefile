# spasmdx: `make run` serves on $(HOST):$(PORT); `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8000
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EXAMPLES := .cache/fhir-examples
EXAMPLES_PACKAGE := hl7.fhir.r4.examples
EXAMPLES_VERSION := 4.0.1
EXAMPLES_TYPES := Patient Condition MedicationRequest MedicationStatement Observation Medication Bundle

.PHONY: install run test kb-check fhir-examples chromium bench load wrk eval clean

# setup.py compiles the scoring path with mypyc (spasmdx/native.py lists it): editing a source
# rebuilds it here, and until then spasmdx/native.py runs the edited sources instead.
NATIVE_SOURCES := setup.py $(wildcard spasmdx/*.py spasmdx/batch/*.py rules/*.py schemas/*.py)

$(STAMP): pyproject.toml $(NATIVE_SOURCES)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,cluster]'
	touch $@

install: $(STAMP)

kb-check: install
	$(BIN)/spasmdx kb check

run: kb-check
	$(BIN)/spasmdx serve --host $(HOST) --port $(PORT)

test: kb-check fhir-examples chromium
	$(BIN)/python -m pytest

# The official FHIR R4 example resources (npm package hl7.fhir.r4.examples) that tests/test_fhir.py
# maps one by one; without npm that test is skipped, and says why.
fhir-examples: $(EXAMPLES)/package/.complete

$(EXAMPLES)/package/.complete:
	@if command -v npm >/dev/null 2>&1; then \
		rm -rf $(EXAMPLES) && mkdir -p $(EXAMPLES) && cd $(EXAMPLES) && \
		npm pack --silent $(EXAMPLES_PACKAGE)@$(EXAMPLES_VERSION) >/dev/null && \
		tar xzf $(EXAMPLES_PACKAGE)-$(EXAMPLES_VERSION).tgz --wildcards package/package.json \
			$(foreach type,$(EXAMPLES_TYPES),'package/$(type)-*') && \
		rm $(EXAMPLES_PACKAGE)-$(EXAMPLES_VERSION).tgz && touch package/.complete; \
	else echo "npm is not installed: the tests over the official FHIR R4 examples will be skipped"; fi

# Debian's Chromium, which tests/test_page.py drives through Playwright (no browser download).
chromium:
	@test -x /usr/bin/chromium || (apt-get update && apt-get install -y --no-install-recommends chromium)

wrk:
	@command -v wrk >/dev/null || (apt-get update -q && apt-get install -y -q --no-install-recommends wrk)

bench: install wrk
	$(BIN)/python -m benchmarks.run

load: install wrk
	$(BIN)/python -m benchmarks.faults

eval: install
	$(BIN)/spasmdx eval ../shared/vignettes/public.jsonl tests/cases/*.jsonl tests/holdout/*.jsonl

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache spasmdx/native-build.json
	find spasmdx rules schemas -name '*.so' -delete
