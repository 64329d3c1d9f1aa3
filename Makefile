# OrderPulse — the two commands a newcomer needs:
#   make demo   install what is missing, start the whole system with traffic (Ctrl-C stops it)
#   make test   install what is missing, run the full test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SERVICES := $(patsubst %/pyproject.toml,%,$(wildcard services/*/pyproject.toml))

.PHONY: install demo up test test-fast lint schemas bench clean

install: $(VENV)/.installed

$(VENV)/.installed: shared/pyproject.toml $(addsuffix /pyproject.toml,$(SERVICES)) requirements-dev.txt scripts/install_tools.sh
	@echo "==> creating $(VENV) and installing OrderPulse (editable) with its test tools"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e shared $(addprefix -e ,$(SERVICES)) -r requirements-dev.txt
	bash scripts/install_tools.sh
	@touch $@

demo: install
	$(VENV)/bin/orderpulse demo

up: install
	$(VENV)/bin/orderpulse up

# make test: every test but the timed fault drills on TEST_WORKERS pytest-xdist workers, then the
# drills (marked solo) one at a time: scripts/run_tests.sh. TEST_WORKERS=1 runs it all serially.
TEST_WORKERS ?= 3

test: install
	bash scripts/run_tests.sh $(TEST_WORKERS)

test-fast: install
	$(PY) -m pytest tests/unit tests/contract

lint: install
	$(VENV)/bin/ruff check shared services tests bench
	$(VENV)/bin/lint-imports

schemas: install
	$(PY) -m orderpulse.events.schemas
	$(PY) -m orderpulse.events.asyncapi

clean:
	rm -rf $(VENV) .orderpulse .pytest_cache .hypothesis
