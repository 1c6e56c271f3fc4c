# Two set-up commands that work on a fresh machine with Python 3.11:
#   make run   creates .venv, installs, opens the dashboard (built-in sample clips)
#   make test  creates .venv, installs, runs every test
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8501

.PHONY: run test venv clean-cache bench

venv: $(STAMP)

$(STAMP): requirements.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11 ...'"; exit 2; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m streamlit run app.py --server.port $(PORT)

test: $(STAMP)
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

# Every benchmark with its defaults (about 25 minutes on 2 cores; see BENCHMARKS.md for each one).
bench: $(STAMP)
	$(PY) bench/bench_dtw.py
	$(PY) bench/bench_compare.py
	$(PY) bench/bench_cache.py
	$(PY) bench/bench_memory.py
	$(PY) bench/bench_live.py

clean-cache:
	rm -f cache/*.h5
