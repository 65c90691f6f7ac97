# spasmdx: `make run` serves on $(HOST):$(PORT); `make test` runs every test, on the sources and on the release build.
PYTHON ?= python3
VENV ?= .venv
RELEASE_VENV ?= .venv-release
HOST ?= 127.0.0.1
PORT ?= 8000
BIN := $(VENV)/bin
RELEASE_BIN := $(RELEASE_VENV)/bin
RUNTIME := $(VENV)/.runtime-stamp
TESTING := $(VENV)/.test-stamp
WHEEL := dist/.release-stamp
RELEASE := $(RELEASE_VENV)/.installed-stamp
# Exact versions: the runtime's (with hashes) for the Docker image, everything's for development and CI.
RUNTIME_LOCK := requirements/runtime.lock
DEV_LOCK := requirements/dev.lock
EXAMPLES := .cache/fhir-examples
EXAMPLES_PACKAGE := hl7.fhir.r4.examples
EXAMPLES_VERSION := 4.0.1
EXAMPLES_TYPES := Patient Condition MedicationRequest MedicationStatement Observation Medication Bundle DocumentReference
# What a release wheel is built from: a change to any of these builds it again.
PACKAGE_FILES := pyproject.toml setup.py build_backend.py README.md LICENSE openapi.yaml \
	$(shell find spasmdx cli rules schemas service -type f ! -path '*/__pycache__/*' ! -name '*.so' 2>/dev/null)
# Runs a module of this checkout (benchmarks) with the installed spasmdx, not the spasmdx/ folder here:
# -P keeps the working directory off the front of sys.path, and "." goes after site-packages.
RUN_ON_RELEASE := $(RELEASE_BIN)/python -P -c 'import runpy, sys; sys.path.append("."); \
	runpy.run_module(sys.argv.pop(1), run_name="__main__", alter_sys=True)'

.PHONY: install run test lint audit lock security redis-server test-sources test-release release kb-check fhir-examples chromium bench load wrk eval eval-context clean

# Development: the sources as they stand (an editable install, plain Python, no compiler needed).
$(RUNTIME): pyproject.toml setup.py build_backend.py $(DEV_LOCK)
	@# an extension module left by an old in-place build would be imported ahead of its edited .py
	find spasmdx cli rules schemas service -name '*.so' -delete
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(DEV_LOCK) -e .
	touch $@

$(TESTING): $(RUNTIME)
	$(BIN)/python -m pip install --quiet -c $(DEV_LOCK) -e '.[test,cluster]'
	touch $@

install: $(RUNTIME)

kb-check: install
	$(BIN)/spasmdx kb check

run: kb-check
	$(BIN)/spasmdx serve --host $(HOST) --port $(PORT)

# Release: the wheel Docker ships, the scoring path compiled with mypyc (needs a C compiler and the
# Python headers), installed with the test tools in its own virtualenv.
release: $(WHEEL)

$(WHEEL): $(RUNTIME) $(PACKAGE_FILES)
	rm -rf dist build/lib* build/bdist* build/temp* build/mypyc build/mypyc-src
	SPASMDX_COMPILE=1 $(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist .
	touch $@

$(RELEASE): $(WHEEL)
	rm -rf $(RELEASE_VENV)
	$(PYTHON) -m venv $(RELEASE_VENV)
	$(RELEASE_BIN)/python -m pip install --quiet --upgrade pip
	$(RELEASE_BIN)/python -m pip install --quiet -c $(DEV_LOCK) "$$(ls dist/spasmdx-*.whl)[test,cluster]"
	touch $@

# Every test on the sources, then every test on the compiled release build (which also holds it
# byte-equal to its own sources: tests/test_native.py).
test: lint audit test-sources test-release

# Known vulnerabilities in the locked versions (pip-audit; skipped, and said so, when its database is out of reach).
audit: $(TESTING)
	$(BIN)/python tools/audit.py $(RUNTIME_LOCK) $(DEV_LOCK)

# The lock files: exact versions (and, for the image, hashes), made from pyproject.toml by pip-tools.
lock: $(RUNTIME)
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links \
		--extra test --extra cluster --output-file $(DEV_LOCK) pyproject.toml
	@# the image's versions are development's, so that what the tests ran is what ships
	$(BIN)/pip-compile --quiet --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links \
		--generate-hashes --constraint $(DEV_LOCK) --output-file $(RUNTIME_LOCK) pyproject.toml

# The findings of the security review (issue 15), replayed as tests on loopback: part of test-sources too.
security: $(TESTING) redis-server
	$(BIN)/python -m pytest -m security -q

# The house tools (settings in pyproject.toml; .pre-commit-config.yaml runs the same before a commit).
lint: $(TESTING)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test-sources: $(TESTING) fhir-examples chromium redis-server
	$(BIN)/spasmdx kb check
	$(BIN)/python -m pytest

test-release: $(RELEASE) fhir-examples chromium redis-server
	$(RELEASE_BIN)/spasmdx kb check
	@# PYTHONSAFEPATH: this folder's spasmdx/ must not shadow the installed package, in pytest or its children
	SPASMDX_RELEASE=1 PYTHONSAFEPATH=1 $(RELEASE_BIN)/python -m pytest

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

# Debian's redis-server, which tests/test_replay.py starts on loopback for the shared jti replay store.
redis-server:
	@test -x /usr/bin/redis-server || (apt-get update -q && apt-get install -y -q --no-install-recommends redis-server)

wrk:
	@command -v wrk >/dev/null || (apt-get update -q && apt-get install -y -q --no-install-recommends wrk)

# Speed is measured on what ships: the release build.
bench: $(RELEASE) wrk
	$(RUN_ON_RELEASE) benchmarks.run

load: $(RELEASE) wrk
	$(RUN_ON_RELEASE) benchmarks.faults

eval: install
	$(BIN)/spasmdx eval --calibration tests/data/vignettes/public.jsonl tests/cases/*.jsonl tests/holdout/*.jsonl

# The note reader on the development half of the ConText corpus: precision, recall, F1 per label.
# Exit 4 names rows whose concept is not in its sentence: five in dev.tsv, the corpus's own slips.
eval-context: install
	$(BIN)/spasmdx context --score tests/data/context/dev.tsv || test $$? -eq 4

clean:
	rm -rf $(VENV) $(RELEASE_VENV) build dist *.egg-info .pytest_cache
	find spasmdx cli rules schemas service -name '*.so' -delete
