# orbench: two entry points that work on a fresh machine.
#   make run        - install, fetch the embedded model, run all suites on it
#   make test       - install, fetch the embedded model, type-check, run the whole test suite (what CI runs)
#   make test-fast  - no model, no sandbox runs, no browser: the unit and CLI tests only, one process per core
#   make typecheck  - mypy over src/orbench
#   make browser    - Chromium for the viewer's browser tests (part of make test; see below)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# the stamp names pyproject.toml's content, so any change of the dependencies reinstalls, whatever the
# files' times (a venv restored from a cache can be newer than a fresh checkout's pyproject.toml)
LLAMA_VERSION := 0.3.36
# llama.cpp's AMX kernels crash this llama-cpp-python (SIGSEGV in ggml_backend_amx_mul_mat, on every
# generation) on CPUs that have AMX (Sapphire Rapids and later), so they are compiled out on x86-64; the rest
# stays tuned to the machine (GGML_NATIVE). pip's wheel cache ignores CMAKE_ARGS, so the wheel is built once
# into orbench's cache, in a folder named after these flags and the CPU's, and installed from there.
NO_AMX := $(if $(filter x86_64,$(shell uname -m)),-mno-amx-tile -mno-amx-int8 -mno-amx-bf16,)
LLAMA_CMAKE_ARGS ?= $(if $(NO_AMX),-DCMAKE_C_FLAGS='$(NO_AMX)' -DCMAKE_CXX_FLAGS='$(NO_AMX)',)
LLAMA_KEY := $(shell (echo "$(LLAMA_VERSION) $(LLAMA_CMAKE_ARGS)"; grep -m1 '^flags' /proc/cpuinfo 2>/dev/null) | cksum | cut -d' ' -f1)
WHEELS := $(HOME)/.cache/orbench/wheels/llama-cpp-python-$(LLAMA_KEY)
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)-$(LLAMA_KEY)
# The demo finishes in a few minutes on 2 cores; the limit is a guard, not an expectation.
RUN_LIMIT_S ?= 900
RUN_ARGS ?= --model smollm2-135m --suite math,code,reasoning --max-tokens 384

.PHONY: install model run test test-fast typecheck browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@if ! ls $(WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1; then \
	  echo "Building llama-cpp-python $(LLAMA_VERSION) from source (~11 min on 2 cores, once per machine, into $(WHEELS))"; \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip wheel --quiet --no-deps --no-cache-dir -w $(WHEELS) llama-cpp-python==$(LLAMA_VERSION); \
	fi
	$(BIN)/pip install --quiet --no-deps --force-reinstall $(WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	@echo "Installing orbench"
	$(BIN)/pip install --quiet --find-links $(WHEELS) -e '.[test]'
	rm -f $(VENV)/.installed*
	touch $(STAMP)

install: $(STAMP)

model: install
	$(BIN)/orbench pull smollm2-135m

run: model
	timeout --signal=INT $(RUN_LIMIT_S) $(BIN)/orbench run $(RUN_ARGS)

typecheck: install
	$(BIN)/mypy

# The viewer's tests drive a headless Chromium through Playwright (a Python package of the test extra).
# Playwright's own browser download is not a package registry, so a system Chromium is used: when none
# is found and this machine allows it unattended (root, or sudo without a password, and apt-get),
# Debian's package is installed (about a minute, once). Otherwise nothing is installed and those
# tests are skipped with the reason printed; nothing else depends on them.
CHROMIUM_FOUND = command -v chromium || command -v chromium-browser || command -v google-chrome \
	|| command -v google-chrome-stable || ls -d $$HOME/.cache/ms-playwright/chromium-* 2>/dev/null
browser:
	@if ( $(CHROMIUM_FOUND) ) >/dev/null 2>&1; then :; \
	elif ! command -v apt-get >/dev/null 2>&1; then echo "note: no Chromium and no apt-get: the viewer's browser tests will be skipped"; \
	else \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi; \
	  if [ "$$SUDO" = none ]; then echo "note: installing Chromium needs root: the viewer's browser tests will be skipped"; \
	  else echo "Installing Chromium for the viewer's browser tests (apt-get, about a minute)"; \
	    ( $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null ) \
	      || echo "note: could not install Chromium: the viewer's browser tests will be skipped"; \
	  fi; \
	fi

test: model typecheck browser
	$(BIN)/python -m pytest

# one test process per core (pytest-xdist); the tests share nothing but read-only data
test-fast: install
	$(BIN)/python -m pytest -q -n auto -m "not e2e and not slow and not sandbox and not browser and not thorough"

clean:
	rm -rf $(VENV) results .pytest_cache .mypy_cache
