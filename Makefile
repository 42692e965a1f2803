# zhizao — the two commands: `make demo` and `make test`.
# Both create .venv with `python3 -m venv` and install the project with its dev extras only when
# pyproject.toml changed since the last install (the stamp file), so the second run is fast.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.zhizao-installed
# two workers on the 2-core machine; a test module stays on one worker (one Spark session)
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: setup demo test bench-quick clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: setup
	$(BIN)/zhizao demo

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench-quick: setup
	$(BIN)/python benchmarks/synth.py --quick
	$(BIN)/python benchmarks/import_bench.py --quick

clean:
	rm -rf $(VENV) demo-output .zhizao .pytest_cache
