# MaterialMatch: `make demo` and `make test` work on a fresh machine (Python 3.11+, PostgreSQL for
# the second test pass).  Everything installs into .venv.

VENV ?= .venv
PY := $(VENV)/bin/python
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
SEED ?= 7
# The demo site: a local SQLite database in instance/, a secret kept in instance/secret_key, and
# cookies allowed over plain http on 127.0.0.1 only.
DEMO_DATABASE_URL ?= sqlite:///$(CURDIR)/instance/materialmatch.sqlite
WEB_ENV = SECRET_KEY=$$(cat instance/secret_key) DATABASE_URL=$(DEMO_DATABASE_URL) SESSION_COOKIE_SECURE=0

.PHONY: install demo test test-sqlite test-postgres bench bench-spread lint typecheck clean translations

install: $(VENV)/.installed

# setup.py builds matcher/_netsimplex.cpp and matcher/_pricing.cpp (a C++ compiler is needed);
# a change to either builds them again
$(VENV)/.installed: pyproject.toml setup.py matcher/_netsimplex.cpp matcher/_pricing.cpp
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[web,test]"
	touch $@

demo: install
	@mkdir -p instance
	$(VENV)/bin/materialmatch generate --supply 400 --demand 400 --depots 3 --seed $(SEED) -o instance/demo-instance.json
	$(VENV)/bin/materialmatch match instance/demo-instance.json -o instance/demo-result.json
	@test -f instance/secret_key || $(PY) -c 'import secrets; print(secrets.token_hex(32))' > instance/secret_key
	$(WEB_ENV) $(VENV)/bin/flask --app web db upgrade
	$(WEB_ENV) $(VENV)/bin/flask --app web demo-data
	-$(WEB_ENV) $(VENV)/bin/flask --app web matching run
	@echo "MaterialMatch: http://127.0.0.1:5000  (Ctrl-C stops)"
	$(WEB_ENV) $(VENV)/bin/flask --app web run --host 127.0.0.1 --port 5000

# The whole suite on SQLite, then everything that touches a database again on PostgreSQL.
test: test-sqlite test-postgres

test-sqlite: install
	MM_FAIL_ON_SKIP=1 $(PY) -m pytest -q

test-postgres: install
	MM_FAIL_ON_SKIP=1 TEST_DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest -q -m "not e2e" tests/web

bench: install
	$(PY) scripts/bench_match.py

bench-spread: install
	$(PY) scripts/bench_match.py --sizes '' --no-peer --spread-size 100000

lint: install
	$(VENV)/bin/ruff check matcher web tests scripts

typecheck: install
	$(VENV)/bin/mypy --strict matcher

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build matcher/*.so

# The site's texts. The .po and the compiled .mo files are committed, so a fresh clone needs no
# build step; tests/web/test_translations.py fails when a text has no Dutch translation or a .mo
# is stale. After adding texts: make translations, translate the new ids in nl's .po, run it again.
translations: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project=MaterialMatch -o web/translations/messages.pot .
	$(VENV)/bin/pybabel update -i web/translations/messages.pot -d web/translations -N --ignore-obsolete
	$(VENV)/bin/pybabel compile -d web/translations --statistics
