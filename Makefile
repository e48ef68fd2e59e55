# WaveDB developer commands. Everything installs into .venv (and the SAM CLI into .venv-sam).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 3000
FN ?=
EVENT ?=
# Tests run in parallel, one process per core (at most 4), idle workers taking queued tests
# from busy ones; each worker starts its own PostgreSQL and moto servers.
TEST_WORKERS ?= $(shell $(PYTHON) -c "import os; print(min(4, os.cpu_count() or 1))")

.PHONY: help install run invoke test test-fast lint typecheck template-check sam-local web web-test web-types web-types-check browser clean

help:
	@echo "make run                      start the local stack on http://127.0.0.1:$(PORT)"
	@echo "make test                     lint, type-check, template checks and the test suites"
	@echo "make test-fast                the unit and integration suites (no browser, no torch)"
	@echo "make web                      build the dashboard (web/dist), served at / by make run"
	@echo "make web-types                regenerate the dashboard's API types from the OpenAPI document"
	@echo "make invoke FN=<LogicalId> EVENT=events/<file>.json   invoke one function's handler"
	@echo "make template-check           cfn-lint, sam validate --lint and sam build"
	@echo "make sam-local                the events and start-api in SAM's containers (needs Docker)"
	@echo "make bench                    WaveDB next to MLflow: ingest, reads, SDK cost (20-25 min)"
	@echo "make bench-sdk                only the SDK's per-call cost next to MLflow's"
	@echo "make bench-web                dashboard load times in Chromium (100 runs, 10M points; a 20,000-run table)"
	@echo "make bench-serverless         cold import of each built handler, size of each package"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml sdk/pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]" -e "./sdk[media,tensorboard,pandas]"
	touch $(STAMP)

install: $(STAMP)

# The dashboard: npm from the lock file, with Node.js from PyPI when the machine has no recent one.
NPM := bash infra/npm.sh
WEB_STAMP := web/node_modules/.installed
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json

$(WEB_STAMP): web/package.json web/package-lock.json | $(STAMP)
	$(NPM) ci --no-audit --no-fund --loglevel=error
	touch $(WEB_STAMP)

web/dist/index.html: $(WEB_STAMP) $(WEB_SOURCES)
	$(NPM) run --silent build

web: web/dist/index.html

web-test: $(WEB_STAMP)
	$(NPM) test

# web/src/api_schema.d.ts: the API's types for the dashboard, from its OpenAPI document.
web-types: $(STAMP) $(WEB_STAMP)
	bash infra/web_api_types.sh

web-types-check: $(STAMP) $(WEB_STAMP)
	bash infra/web_api_types.sh --check

browser:
	bash infra/install_chromium.sh

run: $(STAMP) web
	PORT=$(PORT) exec $(BIN)/python -m wavedb_local run

invoke: $(STAMP)
	@test -n "$(FN)" || (echo "usage: make invoke FN=<LogicalId> EVENT=events/<file>.json" >&2; exit 2)
	@$(BIN)/python -m wavedb_local invoke "$(FN)" $(if $(EVENT),"$(EVENT)",)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Each app.py of a function with packages of its own is the module `app` (see pyproject.toml).
typecheck: $(STAMP)
	$(BIN)/mypy shared infra functions sdk/src tests bench
	$(BIN)/mypy functions/tora/app.py
	$(BIN)/mypy functions/wavedb_compat/app.py

template-check: $(STAMP)
	bash infra/check_template.sh

# sam local invoke / start-api in Docker against a PostgreSQL and an AWS emulator the
# containers reach; says "skipped: no Docker engine" (and succeeds) where there is none.
sam-local: $(STAMP)
	@$(BIN)/python infra/sam_local.py

test: lint typecheck template-check web-types-check web-test web browser
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist worksteal

# The inner loop: unit and integration tests only (markers set in tests/conftest.py).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist worksteal \
		-m "(unit or integration) and not browser and not torch" tests/unit tests/integration

.PHONY: bench bench-sdk bench-web bench-serverless
# MLflow lives in its own virtual environment: it pins versions the project does not use.
MLFLOW_VENV := .venv-bench-mlflow
# The Lambda runtime's Python (template.yaml's Runtime, from PATH or pyenv) with what the
# runtime adds (boto3), to import the built handlers as Lambda does.
LAMBDA_VENV := .venv-bench-lambda

# WaveDB next to MLflow (ingest, reads, SDK per-call cost), then bench/serverless.py.
bench: $(STAMP) $(MLFLOW_VENV)/.installed $(LAMBDA_VENV)/.installed
	$(BIN)/python bench/compare_with_mlflow.py $(if $(QUICK),--quick,) $(if $(SKIP_10M),--skip-10m,)

$(MLFLOW_VENV)/.installed: bench/requirements-mlflow.txt
	$(PYTHON) -m venv $(MLFLOW_VENV)
	$(MLFLOW_VENV)/bin/python -m pip install --quiet --upgrade "pip==26.3"
	$(MLFLOW_VENV)/bin/python -m pip install --quiet -r bench/requirements-mlflow.txt
	touch $@

$(LAMBDA_VENV)/.installed: constraints.txt
	@python="$$(bash infra/lambda_python.sh)" || { echo "no Python of the Lambda runtime's version (set WAVEDB_LAMBDA_PYTHON)" >&2; exit 1; }; \
		"$$python" -m venv $(LAMBDA_VENV)
	$(LAMBDA_VENV)/bin/python -m pip install --quiet --upgrade "pip==26.3"
	$(LAMBDA_VENV)/bin/python -m pip install --quiet -c constraints.txt boto3
	touch $@

bench-serverless: $(STAMP) $(LAMBDA_VENV)/.installed
	$(BIN)/python bench/serverless.py

bench-web: $(STAMP) web browser
	$(BIN)/python bench/dashboard_load.py

bench-sdk: $(STAMP) $(MLFLOW_VENV)/.installed
	$(BIN)/python bench/sdk_overhead.py $(if $(JSON),--json $(JSON),)

clean:
	rm -rf $(VENV) .venv-sam $(MLFLOW_VENV) $(LAMBDA_VENV) .aws-sam .mypy_cache .ruff_cache .pytest_cache
	rm -rf web/node_modules web/dist web/test-output test-output
