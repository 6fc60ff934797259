# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= demo
DEMO_PEOPLE ?= 1000
DEMO_DAYS   ?= 30

.PHONY: demo test lint types unit bench clean venv browser

# The C scanner (formats/_squidscan.c) is built by the install: rebuild when it changes.
$(BIN)/socialsight: pyproject.toml src/socialsight/formats/_squidscan.c
	test -x $(BIN)/python || { bash tools/system-deps.sh && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(BIN)/socialsight

# Lint, types and the whole test suite, run in a non-UTC zone on purpose.
test: venv browser lint types unit

# Debian's chromium for the browser tests (installed when missing).
browser:
	bash tools/system-deps.sh --browser

lint: venv
	$(BIN)/ruff check src tests tools
	$(BIN)/ruff format --check src tests tools

types: venv
	$(BIN)/mypy

unit: venv
	TZ=America/Toronto $(BIN)/python -m pytest -q

demo: venv
	$(BIN)/python tools/demo.py --data $(DEMO)/socialsight-data --logs $(DEMO)/logs --people $(DEMO_PEOPLE) --days $(DEMO_DAYS)

# Ingest speed against GoAccess and `wc -l` on 1M and 10M simulated Squid lines, then a 50M-line
# ingest and the analytics at 50M events (about 12 minutes once the logs exist; generating them
# the first time takes about 5 more and 14 GB of temporary disk; not part of `make test`).
# Writes bench/results.json; logs are cached in bench/data/.
bench: venv
	$(BIN)/python tools/bench.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache
