# The README's commands. Each creates .venv and installs what it needs on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test run worker migrate bench lint install clean

# The product and, beside it, the stand-ins and demo (sandbox/ is its own distribution, never in the product wheel).
$(STAMP): pyproject.toml sandbox/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' -e ./sandbox
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/hourcap demo

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

run: $(STAMP)
	$(BIN)/hourcap serve

worker: $(STAMP)
	$(BIN)/hourcap worker

migrate: $(STAMP)
	$(BIN)/hourcap migrate

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy app.py settings.py errors.py logs.py metrics.py formats.py bot storage team catalog timesheets web jobs xero invoicing reports

clean:
	rm -rf $(VENV) *.egg-info sandbox/*.egg-info .pytest_cache .mypy_cache .ruff_cache
