# qa-engine: the two set-up commands are `make demo` and `make test`.
# Set-up shows one line per step; pip's full output goes to $(LOG) (its last lines are shown on failure).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
LOG    := $(VENV)/install.log
export PREFECT_SERVER_ANALYTICS_ENABLED := false

# On failure: say so, show the log's last 30 lines and stop.
FAILED = { echo "failed; the last 30 lines of $(LOG):"; tail -n 30 $(LOG); exit 1; }

.PHONY: demo serve-demo test test-multimachine test-faults-loaded lint bench clean messages catalogs

$(BIN)/python:
	@echo "creating $(VENV)"
	@$(PYTHON) -m venv $(VENV) || { echo "failed: $(PYTHON) -m venv $(VENV)"; exit 1; }
	@echo "upgrading pip in $(VENV) (log: $(LOG))"
	@$(BIN)/python -m pip install --progress-bar off --upgrade pip > $(LOG) 2>&1 || $(FAILED)

.venv: $(BIN)/python

$(STAMP): pyproject.toml | $(BIN)/python
	@echo "installing qa-engine and its dependencies (log: $(LOG))"
	@$(BIN)/python -m pip install --progress-bar off -e '.[dev]' >> $(LOG) 2>&1 || $(FAILED)
	@$(BIN)/python -m qa_engine.adapters.translations >> $(LOG) 2>&1 || $(FAILED)
	@touch $(STAMP)

demo: $(STAMP)
	@$(BIN)/qa-engine demo

# the web app on the demo's data (after `make demo`)
serve-demo: $(STAMP)
	@$(BIN)/qa-engine serve --data-dir var/demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-multimachine: $(STAMP)
	$(BIN)/python -m pytest -q -m multimachine

# the fault tests with two CPU-bound busy loops beside them (see bench/README.md)
test-faults-loaded: $(STAMP)
	bench/loaded_run.sh

# lint: ruff (rules and format), the import contracts, mypy (strict on domain and services)
lint: $(STAMP)
	$(BIN)/ruff check qa_engine workflows tests bench
	$(BIN)/ruff format --check qa_engine workflows tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench

# the message catalogs (qa_engine/locale): extract every marked string of the Python sources and the
# pages into messages.pot (babel.cfg), bring each language's messages.po up to date with it (new
# strings empty, changed ones fuzzy: translate them, then remove the fuzzy flag) and compile the .mo
# files; tests/test_catalogs.py fails until every entry is translated
LOCALE := qa_engine/locale
VERSION = $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --width=100 --add-comments=Translators: -k Nn_:1,2 \
		--project=qa-engine --version=$(VERSION) --copyright-holder="4EU+ alliance" \
		-o $(LOCALE)/messages.pot .
	$(BIN)/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) --width=100 --ignore-obsolete
	$(BIN)/python -m qa_engine.adapters.translations

# compile the .mo files only (the install and the wheel's build do it too)
catalogs: $(STAMP)
	$(BIN)/python -m qa_engine.adapters.translations

clean:
	rm -rf $(VENV) var .pytest_cache
