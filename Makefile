# zhizao — the two commands: `make demo` and `make test`.
# Both create .venv with `python3 -m venv` and install the project with its dev extras only when
# pyproject.toml changed since the last install (the stamp file), so the second run is fast.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.zhizao-installed
# two workers on the 2-core machine; a test module stays on one worker (one Spark session)
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: setup demo test bench-quick clean cjk-font

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory cjk-font
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# A CJK font for PDF reports (5 MB, Debian's fonts-wqy-microhei), when none is installed and apt
# can be used here (root); otherwise PDFs say what is missing and the HTML is written alone.
cjk-font:
	@if command -v fc-list >/dev/null && [ -z "$$(fc-list :lang=zh 2>/dev/null)" ] \
	    && command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  echo "installing a CJK font for PDF reports (fonts-wqy-microhei)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-wqy-microhei >/dev/null 2>&1 \
	    || (apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-wqy-microhei >/dev/null 2>&1) \
	    || echo "could not install a CJK font: PDF reports will not be written"; \
	fi

demo: setup
	$(BIN)/zhizao demo --serve

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# every benchmark at its --quick size (the OpenFisca comparison needs the bench extra)
bench-quick: setup
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@for b in codes synth import_bench province land clusters chains policy_vs_openfisca interactive; do \
	  echo "== benchmarks/$$b.py --quick"; $(BIN)/python benchmarks/$$b.py --quick | tail -n 1 || exit 1; \
	done

clean:
	rm -rf $(VENV) demo-output .zhizao .pytest_cache
