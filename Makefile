# The two commands of the README: `make run` and `make test`. Everything they need is installed
# from the lock files, so a fresh machine with Python 3.11 and make is enough.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: bench-batch bench-memory bench-read bench-search openapi-examples sample run test test-dates test-dates-ahead test-dates-new-year install install-dev system-deps test-system-deps migrate check-migrations lint typecheck lock bench clean

run: $(VENV)/.installed system-deps
	$(BIN)/convenios migrate
	$(BIN)/convenios serve --host $(HOST) --port $(PORT)

# Lint and strict typing first: they take seconds and guard what the tests do not see. Then
# every test on both databases — on TEST_PROCESSES processes, but for the ones that measure the
# service under load or real deadlines (`serial`, `realtime`), which run alone afterwards — and
# the date-sensitive ones again on other days.
TEST_PROCESSES ?= 2
test: $(VENV)/.installed-dev test-system-deps
	$(BIN)/ruff check app tests migrations bench
	$(BIN)/ruff format --check app tests migrations bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadscope \
		-m 'not serial and not realtime' $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m 'serial or realtime' $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(MAKE) --no-print-directory test-dates

# The tests that depend on the date, run with the machine's clock moved by libfaketime (child
# processes too): more than a year ahead, and to 23:30 of 31 December in Mexico City (UTC-6),
# when UTC is already in the next year — both at once. No test may pass only before some date.
# libfaketime stops timed waits, so tests of real deadlines (marked `realtime`) stay out, and so
# do the concurrency ones (`slow`), which the first run has covered and which no date changes;
# the README's walkthrough runs on the later day only.
DATED_TESTS = tests/test_clock.py tests/agreements tests/obligations tests/webhooks/test_dispatch.py \
	tests/webhooks/test_email.py tests/calendar tests/signatures tests/reports
DATED_PYTEST = $(BIN)/python -m pytest -q -p no:cacheprovider -m 'not realtime and not slow'
test-dates: $(VENV)/.installed-dev test-system-deps
	@$(MAKE) --no-print-directory -j2 test-dates-ahead test-dates-new-year
test-dates-ahead:
	CONVENIOS_TEST_DATABASES=sqlite faketime -f '+400d' $(DATED_PYTEST) $(DATED_TESTS) \
		tests/test_readme.py
test-dates-new-year:
	CONVENIOS_TEST_DATABASES=sqlite TZ=UTC \
		faketime -f "@$$(( $$(date -u +%Y) + 1 ))-01-01 05:30:00" $(DATED_PYTEST) $(DATED_TESTS)

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@ $(VENV)/.installed

# WeasyPrint needs Pango; install it from Debian's packages when it is missing (and, for the
# tests, curl and libfaketime).
system-deps:
	@scripts/system-deps.sh
test-system-deps:
	@scripts/system-deps.sh test

migrate: $(VENV)/.installed
	$(BIN)/convenios migrate

# `alembic check` compares the models with a database at the latest migration: a scratch one.
check-migrations: $(VENV)/.installed
	@scratch=$$(mktemp -d) && export CONVENIOS_DATABASE_URL=sqlite:///$$scratch/check.sqlite3 && \
	$(BIN)/convenios migrate >/dev/null && $(BIN)/alembic check; status=$$?; rm -rf $$scratch; exit $$status

# The OpenAPI document's examples (app/openapi_examples.json): what the API's tests send and
# get, recorded by tests/record_examples.py. After a schema changes, the document's test names
# each schema left without one.
openapi-examples: $(VENV)/.installed-dev
	CONVENIOS_TEST_DATABASES=sqlite $(BIN)/python -m pytest -q -p no:cacheprovider -n 2 \
		-p tests.record_examples -m 'not serial and not realtime and not slow' -k 'not example' tests \
		--ignore=tests/test_openapi_fuzz.py --ignore=tests/pages --ignore=tests/test_generated_client.py

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check app tests migrations bench
	$(BIN)/ruff format --check app tests migrations bench

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# Regenerate both lock files from pyproject.toml (needs the package index).
lock:
	$(PYTHON) -m venv /tmp/convenios-lock && /tmp/convenios-lock/bin/pip install --quiet pip-tools
	/tmp/convenios-lock/bin/pip-compile --quiet --allow-unsafe --generate-hashes --strip-extras --build-deps-for=wheel -o requirements.lock pyproject.toml
	/tmp/convenios-lock/bin/pip-compile --quiet --allow-unsafe --generate-hashes --strip-extras --build-deps-for=wheel --extra dev -o requirements-dev.lock pyproject.toml

# Lists, filters and searches at a million convenios on PostgreSQL (ROWS=100000 for a quicker
# look): seeds a scratch database, serves it with uvicorn, writes bench/results/search.json.
bench-search: $(VENV)/.installed-dev
	$(BIN)/python bench/search.py

# An agreement and a page of them read through HTTP against a bare FastAPI endpoint answering
# constant JSON on the same server (ratios, and the server's CPU time per answer), on PostgreSQL:
# writes bench/results/read.json.
bench-read: $(VENV)/.installed-dev
	$(BIN)/python bench/read.py

# The peak memory of an idle `convenios serve` (goal: at most 150 MB) on a scratch SQLite
# database, after a health check, a readiness check and one list of agreements, and of a
# worker rendering a 40-page convenio (at most 400 MB): writes bench/results/memory.json.
bench-memory: $(VENV)/.installed-dev
	$(BIN)/python bench/memory.py

# A batch of Oaxaca's 570 municipios (STATE=06: Colima's ten) made by one worker, then two,
# behind two API replicas on PostgreSQL, SeaweedFS and Redis: writes bench/results/batch.json.
bench-batch: $(VENV)/.installed-dev
	$(BIN)/python bench/batch.py

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/render.py
	$(BIN)/python bench/serve.py
	$(BIN)/python bench/signatures.py
	$(BIN)/python bench/deliveries.py

# The six sample convenios (app/documents/samples.py) as PDFs in $(SAMPLES), and the page of
# each that the README shows in docs/ (pictures made with poppler-utils' pdftoppm).
SAMPLES ?= /tmp/convenios-muestras
sample: $(VENV)/.installed-dev
	@scripts/system-deps.sh sample
	$(BIN)/python -m bench.sample $(SAMPLES)
	cp $(SAMPLES)/convenio-*.png docs/

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
