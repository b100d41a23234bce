# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format check migrate bench clean messages pot

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

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

# Re-extract every translatable string into locales/messages.pot and merge it into each
# language's messages.po; then translate what is new (tests fail on an empty or fuzzy entry).
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
