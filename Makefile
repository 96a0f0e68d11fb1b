# orbench: two entry points that work on a fresh machine.
#   make run        - install, fetch the embedded model, run all suites on it
#   make test       - install, fetch the embedded model, type-check, run the whole test suite (what CI runs)
#   make test-fast  - no model: the unit and CLI tests only (under 30 s on 2 cores)
#   make typecheck  - mypy over src/orbench

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The demo finishes in a few minutes on 2 cores; the limit is a guard, not an expectation.
RUN_LIMIT_S ?= 900
RUN_ARGS ?= --model smollm2-135m --suite math,code,reasoning --max-tokens 384

.PHONY: install model run test test-fast typecheck clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@echo "Installing orbench and llama-cpp-python (a source build: ~11 min on 2 cores the first time, then cached by pip)"
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

model: install
	$(BIN)/orbench pull smollm2-135m

run: model
	timeout --signal=INT $(RUN_LIMIT_S) $(BIN)/orbench run $(RUN_ARGS)

typecheck: install
	$(BIN)/mypy

test: model typecheck
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -q -m "not e2e and not slow"

clean:
	rm -rf $(VENV) results .pytest_cache .mypy_cache
