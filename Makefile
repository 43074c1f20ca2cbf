# TV e-government for the set-top box. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP) ## Create .venv and install the pinned Python packages

run: $(STAMP) ## Set up and start the whole system on embedded defaults
	@scripts/system-deps.sh run
	@$(PY) -m tvapp.launcher

test: $(STAMP) ## Set up and run every test
	@scripts/system-deps.sh test
	$(PY) -m pytest $(PYTEST_ARGS)

audit: $(STAMP) ## Audit every TV screen x state x text size x language; pictures and test-artifacts/audit/index.html
	@scripts/system-deps.sh test
	rm -rf test-artifacts/audit
	TV_AUDIT=full $(PY) -m pytest tests/tvapp/browser/test_screen_audit.py $(PYTEST_ARGS); \
	  status=$$?; echo "Contact sheet: test-artifacts/audit/index.html"; exit $$status

bench: $(STAMP) ## Run the benchmarks (prints figures; never fails a test run)
	@scripts/system-deps.sh test
	$(PY) -m bench

lint: $(STAMP) ## ruff over the tree
	$(VENV)/bin/ruff check .

clean: ## Remove local state (var/) but keep the virtual environment
	rm -rf var/*

.PHONY: help venv run test audit bench lint clean
