# clinicbot — the two sacred commands are `make run` and `make test`.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
HOST    ?= 127.0.0.1
PORT    ?= 8000
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install install-run install-test run test index browser servers clean bench

# Serving needs the project and its runtime dependencies only; the tests add the test extra, Chromium,
# PostgreSQL and Redis. Each has its own stamp, so a repeated `make run` or `make test` installs nothing.
install-run: $(RUN_STAMP)
install-test: $(TEST_STAMP) browser servers
install: install-test

$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e .
	touch $(RUN_STAMP)

$(TEST_STAMP): $(RUN_STAMP) pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

# Debian's Chromium for the Playwright browser tests (Playwright's own download cannot work offline).
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Debian's PostgreSQL and Redis, which the replica and storage tests start on their own ports.
servers:
	@{ test -x /usr/lib/postgresql/15/bin/initdb && test -x /usr/bin/redis-server; } || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server >/dev/null; }

index: $(RUN_STAMP)
	$(BIN)/clinicbot index --corpus corpus

run: install-run index
	$(BIN)/clinicbot serve --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest

bench: install-test
	$(BIN)/python benchmarks/retrieval.py
	$(BIN)/python benchmarks/latency.py

clean:
	rm -rf var .pytest_cache
