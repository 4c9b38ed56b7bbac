# Kindred: `make run` serves the forum with demo data; `make test` runs the whole suite.
# Both set everything up on a fresh machine (a .venv here; Chromium from Debian for the
# browser tests when running as root).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app wsgi
PORT   ?= 5000
export PORT

.PHONY: run prod-demo prod-demo-stop test test-sqlite test-postgres setup setup-test browser clean translations extract-messages

$(VENV)/.installed-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed-run
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed-run translations

# Compile the gettext catalogs (app/translations/*/LC_MESSAGES/messages.po -> .mo).
translations: $(VENV)/.installed-run
	@if ls app/translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(VENV)/bin/pybabel compile --statistics -d app/translations; fi

# Refresh the template and every catalog after changing strings (docs/translating.md).
extract-messages: $(VENV)/.installed-run
	mkdir -p app/translations
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 --no-location --sort-output -o app/translations/messages.pot .
	@if ls app/translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(VENV)/bin/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching; fi

setup-test: $(VENV)/.installed-test translations browser

browser:
	@bash scripts/ensure-chromium.sh

run: setup
	$(FLASK) db upgrade
	$(FLASK) kindred seed-demo
	$(FLASK) kindred serve --port $(PORT)

# Production shape on this machine: PostgreSQL, Redis, WORKERS gunicorn workers behind HAProxy
# (TLS, sticky sessions) on https://127.0.0.1:PROD_PORT/. Debian packages installed when missing.
WORKERS   ?= 4
PROD_PORT ?= 8443
PROD_DIR  ?= .services/prod-demo
prod-demo: setup
	KINDRED_SEED_DEMO=1 scripts/stack.sh start $(PROD_DIR) $(PROD_PORT) $(WORKERS)
	@echo "Demo accounts: $(PROD_DIR)/instance/demo-accounts.txt  ·  stop with: make prod-demo-stop"

prod-demo-stop:
	scripts/stack.sh stop $(PROD_DIR)

# The whole suite twice: on SQLite, then on PostgreSQL + Redis (private servers started by
# scripts/services.sh; the Debian packages are installed when missing and we are root).
test: test-sqlite test-postgres

test-sqlite: setup-test
	$(PY) -m pytest $(PYTEST_ARGS)

test-postgres: setup-test
	scripts/test-env.sh $(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache test-artifacts
