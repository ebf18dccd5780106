# Two commands: `make run` (set up and start the app with its demo) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
SOURCES := pyproject.toml requirements-dev.txt $(wildcard plugins/*/pyproject.toml channels/*/pyproject.toml)

.PHONY: run test setup clean

setup: $(INSTALLED)

$(INSTALLED): $(SOURCES)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(INSTALLED)

run: setup
	MARKETBRIDGE_DEMO=true $(BIN)/marketbridge run

test: setup
	$(BIN)/pytest -n auto

clean:
	rm -rf $(VENV) instance
