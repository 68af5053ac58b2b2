# OncoDCC — the two commands of the README (`make run`, `make test`), and a few helpers.
#   make run    PORT=8000 DATABASE_URL=postgres://…   install, migrate, demo region on first start, serve
#   make test   PYTEST_ARGS="tests/rcp -k fiche"       install (test tools too), ruff, the suite (DATABASE_URL too)
#   make ci                                            what CI runs (.ci/run: PostgreSQL + SQLite + checks)
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test ci install install-test lint bench clean

run: install
	@mkdir -p var
	@scripts/run.sh

test: install-test
	@mkdir -p var
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n $${PYTEST_WORKERS:-2} --dist loadgroup $(PYTEST_ARGS)

ci:
	.ci/run

install:
	@scripts/setup.sh run

install-test:
	@scripts/setup.sh test

lint: install-test
	$(VENV)/bin/ruff check .

bench: install-test
	$(PY) -m bench

clean:
	rm -rf $(VENV) var/*.sqlite3 var/*.sqlite3-wal var/*.sqlite3-shm staticfiles
