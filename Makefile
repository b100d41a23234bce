# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format check migrate bench clean messages pot lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Exactly the versions in the lock files, checked against their hashes; re-installed whenever a
# lock file changes. `make lock` writes them from pyproject.toml (README: "Dependencies").
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.installed

# From PyPI only, whatever index or wheel folder this machine's pip is set up with.
# `make lock` keeps every pin that still fits pyproject.toml; `make lock UPGRADE=--upgrade`
# moves every pin to the newest release that fits (or UPGRADE="--upgrade-package ruff").
LOCK := env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null \
  $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
  --no-emit-find-links --index-url https://pypi.org/simple $(UPGRADE)
lock: | $(BIN)/python
	$(BIN)/pip install --quiet 'pip-tools>=7.4,<8'
	$(LOCK) --output-file requirements.lock pyproject.toml
	$(LOCK) --extra dev --output-file requirements-dev.lock pyproject.toml

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

migrate: $(VENV)/.installed
	$(BIN)/python -m web migrate

check: $(VENV)/.installed
	$(BIN)/python -m web check

run: check migrate
	WEB_CONCURRENCY=1 $(BIN)/uvicorn --factory web.app:create_app --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint node_modules/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Re-extract every translatable string into locales/messages.pot (made here, not kept in git)
# and merge it into each translated language's messages.po; then translate what is new (tests
# fail on an empty or fuzzy entry). English is the source language: it has no catalog.
POT ?= locales/messages.pot
pot: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg --no-default-keywords -k _ -k N_ -k gettext \
	  -k ngettext:1,2 -k translate:2 -k translate_plural:2,3 --no-location --sort-output \
	  --omit-header --project=clinic-web --version=0.1 -o $(POT) . >/dev/null

messages: pot
	for po in locales/*/LC_MESSAGES/messages.po; do \
	  lang=$$(basename $$(dirname $$(dirname $$po))); \
	  $(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete \
	    -l $$lang -i locales/messages.pot -d locales; \
	done

# Needs wrk (apt-get install wrk); drives a real uvicorn on 127.0.0.1 only.
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/pageweight.py
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .hypothesis
