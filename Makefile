# qa-engine: the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_HOME ?= $(CURDIR)/var/prefect

.PHONY: demo test test-multimachine lint bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

.venv: $(VENV)/bin/python

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	@mkdir -p $(PREFECT_HOME)
	$(BIN)/qa-engine demo

test: $(STAMP)
	@mkdir -p $(PREFECT_HOME)
	$(BIN)/python -m pytest -q

test-multimachine: $(STAMP)
	@mkdir -p $(PREFECT_HOME)
	$(BIN)/python -m pytest -q -m multimachine

lint: $(STAMP)
	$(BIN)/ruff check qa_engine workflows tests
	$(BIN)/lint-imports

bench: $(STAMP)
	@mkdir -p $(PREFECT_HOME)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache
