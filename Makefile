# Kindred: `make run` serves the forum with demo data; `make test` runs the whole suite.
# Both set everything up on a fresh machine (a .venv here; Chromium from Debian for the
# browser tests when running as root).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app wsgi
PORT   ?= 5000
export PORT

.PHONY: run test setup setup-test browser clean

$(VENV)/.installed-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed-run
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed-run

setup-test: $(VENV)/.installed-test browser

browser:
	@bash scripts/ensure-chromium.sh

run: setup
	$(FLASK) db upgrade
	$(FLASK) kindred seed-demo
	$(FLASK) kindred serve --port $(PORT)

test: setup-test
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache test-artifacts
