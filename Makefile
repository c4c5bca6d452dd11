# The README's two commands: `make run` serves the app, `make test` runs every test.
# Both set up everything from nothing on a fresh Debian machine as root.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends

.PHONY: run test lint bench system-run system-test

run: system-run $(VENV)/.runtime
	$(PY) -m app serve --host $(HOST) --port $(PORT)

# lint first: it takes seconds, the tests take minutes
test: system-test $(VENV)/.test
	$(MAKE) --no-print-directory lint
	$(PY) -m pytest

lint: $(VENV)/.test
	$(PY) -m ruff check .
	$(PY) -m mypy

bench: system-run $(VENV)/.test
	$(PY) bench/engine.py
	$(PY) bench/api.py

# Debian packages, installed only when missing (root only; see README for other systems).
system-run:
	@command -v dot >/dev/null || { \
	  [ "$$(id -u)" = 0 ] || { echo "graphviz is missing: run 'sudo apt-get install graphviz' (macOS: 'brew install graphviz')"; exit 1; }; \
	  apt-get update -qq && $(APT_INSTALL) graphviz; }

system-test: system-run
	@{ command -v chromium >/dev/null && fc-list | grep -qi dejavu; } || { \
	  [ "$$(id -u)" = 0 ] || { echo "chromium is missing: run 'sudo apt-get install chromium fonts-dejavu-core'"; exit 1; }; \
	  apt-get update -qq && $(APT_INSTALL) chromium fonts-dejavu-core fonts-liberation; }

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.test: requirements.txt requirements-test.txt | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements-test.txt
	touch $@ $(VENV)/.runtime
