# Potten: the two commands of the README, and a few helpers.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: run test test-browser install messages bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

## make run: install, migrate, seed the demo, start web + Celery worker + beat.
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "Potten runs at http://127.0.0.1:$(PORT)/  (Ctrl-C stops everything)"
	@echo ""
	DEBUG=$${DEBUG:-true} $(BIN)/honcho start -f Procfile

## make test: the architecture checks (ruff, the layers contract of pyproject.toml), then the whole suite (uses
## DATABASE_URL / REDIS_URL when they are set). tests/test_architecture.py runs both checks too.
test: install
	$(BIN)/ruff check --no-cache .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest

## make test-browser: the browser suite (tests/browser): Playwright on Debian's Chromium, axe-core, every page
## as every demo role in both languages at 1280 and 360 px, and one application from sign-up to closed.
CHROMIUM ?= /usr/bin/chromium
test-browser: install
	@test -x $(CHROMIUM) || { echo "$(CHROMIUM) is missing: apt-get install -y chromium (never a downloaded browser build)"; exit 1; }
	POTTEN_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -m browser tests/browser

messages: install
	$(BIN)/python manage.py makemessages -l sv -l en --no-obsolete --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv'

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var
