# Recto — make help lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
export OMP_THREAD_LIMIT := 1
TOOLS := .tools
UV := $(TOOLS)/bin/uv
# tesserocr is compiled against Debian's libtesseract, the one the `tesseract` CLI uses (ADR 0007).
# `kubectl kustomize` renders deploy/k8s in tests/deploy: Debian's kubernetes-client, unless a
# kubectl is already installed (another package's /usr/bin/kubectl would conflict with it).
KUBECTL_PACKAGE := $(if $(shell command -v kubectl 2>/dev/null),,kubernetes-client)
# pgbouncer: the event store is tested through it in transaction mode (infra/tests/integration).
APT_PACKAGES := tesseract-ocr tesseract-ocr-eng tesseract-ocr-lat tesseract-ocr-fra \
	tesseract-ocr-deu tesseract-ocr-frk libtesseract-dev libleptonica-dev pkg-config g++ chromium \
	poppler-utils pgbouncer \
	$(KUBECTL_PACKAGE)
PYTEST_ARGS ?=

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv

.PHONY: system
system: ## Install Debian packages (tesseract and its headers, language data, chromium, poppler, pgbouncer) when root
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "installing: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
		echo "missing Debian packages: $$missing"; \
		echo "install them with: sudo apt-get install $$missing"; exit 1; \
	fi

.PHONY: setup
setup: $(UV) system ## Prepare everything: uv, Python dependencies, system packages
	$(UV) sync --locked --quiet

.PHONY: lint
lint: setup ## ruff, mypy (strict) and the import layers (lint-imports)
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy
	$(UV) run lint-imports --no-cache

.PHONY: test
test: lint ## Lint, then every test (starts its own PostgreSQL and NATS unless RECTO_TEST_* are set)
	$(UV) run pytest $(PYTEST_ARGS)

.PHONY: demo
demo: setup ## Start Recto and process a sample manuscript (RECTO_DEMO_EXIT=1 stops after it)
	$(UV) run recto demo $(if $(RECTO_DEMO_EXIT),--exit,)

.PHONY: bench
bench: setup ## Run the benchmarks; figures in bench/results/
	@for script in bench/*.py; do echo "== $$script"; $(UV) run python $$script || exit 1; done

MIRADOR := services/gateway/src/gateway/static/vendor/mirador

.PHONY: mirador
mirador: ## Copy Mirador's bundle, from npm at the version tests/browser locks, into the gateway
	cd tests/browser && npm ci --ignore-scripts --no-audit --no-fund
	cp tests/browser/node_modules/mirador/dist/mirador.min.js tests/browser/node_modules/mirador/LICENSE $(MIRADOR)/

.PHONY: schemas
schemas: setup ## Write the JSON Schema of each new contract version and the AsyncAPI document
	$(UV) run python -m contracts.schemas
	$(UV) run python -m infra.asyncapi docs/asyncapi.yaml services/gateway/src/gateway/asyncapi.json
