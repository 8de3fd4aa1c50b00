# doorstep — developer and operator entry points.
#
#   make run     create .venv, install (pinned by constraints.txt), start `doorstep serve`
#                (web + worker + scheduler in one process, SQLite in ./var, migrated at start)
#   make test    install the dev dependencies (pinned) and run the whole suite
#   make lint    ruff + mypy
#   make lock    regenerate constraints.txt from a fresh temporary venv
#
# Needs only Python 3.11+ (and make). Installs happen again only when pyproject.toml or
# constraints.txt change (stamp files inside .venv), so reruns start at once.

VENV ?= .venv
HOST ?= $(or $(DOORSTEP_HOST),127.0.0.1)
PORT ?= $(or $(DOORSTEP_PORT),8000)
RUN_ARGS ?=
PYTEST_ARGS ?=

# The first Python 3.11+ on PATH (override: make PYTHON=/usr/bin/python3.12 ...).
ifndef PYTHON
PYTHON := $(shell for p in python3 python3.14 python3.13 python3.12 python3.11 python; do \
	command -v $$p >/dev/null 2>&1 && \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && \
	{ echo $$p; break; }; done)
endif

VPY := $(VENV)/bin/python
PIP := $(VPY) -m pip
LOCK := constraints.txt
PIP_INSTALL := $(PIP) install --quiet --disable-pip-version-check -c $(LOCK) --build-constraint $(LOCK)
RUN_STAMP := $(VENV)/.doorstep-run.stamp
DEV_STAMP := $(VENV)/.doorstep-dev.stamp

.DEFAULT_GOAL := help
.PHONY: help run migrate test lint fix lock install install-dev clean

help:
	@echo "make run       start doorstep (http://$(HOST):$(PORT)); RUN_ARGS='--no-simulator' etc. go to 'doorstep serve'"
	@echo "make test      run the whole test suite; PYTEST_ARGS='-k name' etc. go to pytest"
	@echo "make lint      ruff + mypy"
	@echo "make fix       ruff's safe automatic fixes"
	@echo "make lock      regenerate constraints.txt (newest versions pyproject.toml allows)"
	@echo "make migrate   create or upgrade the database schema only"
	@echo "make clean     remove caches and build output (keeps .venv and ./var)"

# --- the virtual environment -------------------------------------------------------------

$(VPY):
	@if [ -z "$(PYTHON)" ]; then \
		echo "doorstep needs Python 3.11 or newer: none of python3, python3.14 ... python3.11 on PATH is." >&2; \
		echo "Install one, or name it: make PYTHON=/path/to/python3.x $(MAKECMDGOALS)" >&2; exit 1; fi
	@echo "creating $(VENV) with $(PYTHON) ($$($(PYTHON) -c 'import sys; print(sys.version.split()[0])'))"
	@$(PYTHON) -m venv $(VENV) || { \
		echo "could not create $(VENV). On Debian/Ubuntu: apt-get install python3-venv (then rerun)." >&2; \
		rm -f $(VPY); exit 1; }

# The installer itself, at the locked version (it must know --build-constraint).
$(VENV)/.pip.stamp: $(LOCK) | $(VPY)
	@$(PIP) install --quiet --disable-pip-version-check -c $(LOCK) pip
	@touch $@

$(RUN_STAMP): pyproject.toml $(LOCK) $(VENV)/.pip.stamp
	@echo "installing doorstep into $(VENV) (versions pinned by $(LOCK)) ..."
	$(PIP_INSTALL) -e .
	@touch $@

$(DEV_STAMP): pyproject.toml $(LOCK) $(VENV)/.pip.stamp
	@echo "installing doorstep and its dev dependencies into $(VENV) (versions pinned by $(LOCK)) ..."
	$(PIP_INSTALL) -e '.[dev]'
	@$(PIP) freeze --exclude-editable --disable-pip-version-check | $(VPY) -c 'import re, sys; \
		pinned = {re.split(r"[=<>!~ ;\[]", l)[0].strip().lower().replace("_", "-") \
		          for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")}; \
		loose = [l.strip() for l in sys.stdin \
		         if l.split("==")[0].lower().replace("_", "-") not in pinned]; \
		loose and print("warning: not pinned in constraints.txt (run make lock): " + ", ".join(loose), file=sys.stderr)' $(LOCK)
	@touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)
install-dev: $(DEV_STAMP)

# --- running ---------------------------------------------------------------------------

run: $(RUN_STAMP)
	@echo ""
	@echo "doorstep on http://$(HOST):$(PORT) — it prints the dashboard's address and a login below"
	@echo "(data in ./var; Ctrl-C stops it; 'make run' again continues where it left off)"
	@echo ""
	@exec $(VENV)/bin/doorstep serve --host '$(HOST)' --port '$(PORT)' $(RUN_ARGS)

migrate: $(RUN_STAMP)
	$(VENV)/bin/doorstep migrate

# --- checking --------------------------------------------------------------------------

# pytest's settings live in pyproject.toml. Any non-zero exit fails the target, including
# 5 (no tests collected).
test: $(DEV_STAMP)
	$(VPY) -m pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	@status=0; \
	echo "ruff check src tests"; $(VENV)/bin/ruff check src tests || status=1; \
	echo "mypy src/doorstep"; $(VENV)/bin/mypy src/doorstep || status=1; \
	exit $$status

fix: $(DEV_STAMP)
	$(VENV)/bin/ruff check --fix src tests

# --- the lock --------------------------------------------------------------------------

# A fresh venv, the newest versions pyproject.toml allows, frozen. pip and setuptools are
# upgraded first so that the installer and the build backend are pinned too.
lock:
	@test -n "$(PYTHON)" || { echo "doorstep needs Python 3.11 or newer (make PYTHON=...)" >&2; exit 1; }
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	echo "resolving in a fresh venv ($$tmp) with $(PYTHON) ..."; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip setuptools; \
	"$$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]'; \
	{ \
	echo "# The lock: the exact version of every package that \`pip install -e '.[dev]'\` pulls in,"; \
	echo "# plus the installer and the build backend (pip, setuptools)."; \
	echo "#"; \
	echo "#   pip install -c constraints.txt --build-constraint constraints.txt -e '.[dev]'"; \
	echo "#"; \
	echo "# The Makefile installs with it; \`make lock\` regenerates it from a fresh temporary venv"; \
	echo "# (the newest versions that pyproject.toml allows). A pin on a package that a platform does"; \
	echo "# not need (uvloop on Windows, say) is ignored there. Do not edit by hand."; \
	echo "#"; \
	echo "# Resolved with $$("$$tmp/venv/bin/python" -c 'import platform as p; print(p.python_implementation(), ".".join(p.python_version_tuple()[:2]), "on", p.system(), p.machine())')."; \
	"$$tmp/venv/bin/python" -m pip freeze --all --exclude-editable --disable-pip-version-check \
		| grep -v -i -E '^(wheel|distribute)==' | LC_ALL=C sort -t= -k1,1f; \
	} > "$$tmp/$(LOCK)"; \
	if cmp -s "$$tmp/$(LOCK)" $(LOCK); then echo "$(LOCK) is unchanged"; \
	else cp "$$tmp/$(LOCK)" $(LOCK); echo "$(LOCK) updated:"; git --no-pager diff --stat -- $(LOCK) 2>/dev/null || true; fi

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis src/*.egg-info
	find src tests -name __pycache__ -type d -prune -exec rm -rf {} +
