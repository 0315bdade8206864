# LSTM Lens: `make run` starts the app, `make check` is the quick loop (lint, format, import contracts,
# types, fast tests), `make test` runs every test, `make bench` prints speed figures.
# Each target installs what it needs once; stamp files keep re-runs from reinstalling.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
APP_STAMP  := $(VENV)/.stamp-app
TEST_STAMP := $(VENV)/.stamp-test
BENCH_STAMP := $(VENV)/.stamp-bench
# Written by model.native.build only when the native LSTM kernel is built and loads.
NATIVE_STAMP := model/native/build/.stamp

# Quiet TensorFlow's C++ start-up chatter (CUDA probes on a CPU machine).
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run check test bench chromium postgres compiler clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(APP_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(TEST_STAMP): requirements-test.txt $(APP_STAMP)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements-test.txt
	touch $@

# LSTM Lens' own LSTM kernel, compiled for this machine (without a C++ compiler training falls
# back to TensorFlow's BlockLSTM, and this says so).
$(NATIVE_STAMP): model/native/lens_lstm.cc model/native/__init__.py model/native/build.py $(APP_STAMP)
	$(BIN)/python -m model.native.build --stamp $@

run: $(APP_STAMP) $(NATIVE_STAMP)
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)

# Debian's chromium for the browser tests (never `playwright install`: it downloads a browser).
chromium:
	@sh scripts/ensure_chromium.sh

# Debian's PostgreSQL server for the run store's tests (they start their own throwaway cluster).
postgres:
	@sh scripts/ensure_postgres.sh

# Debian's g++ for the native LSTM kernel, which the tests hold to Keras' LSTM.
compiler:
	@sh scripts/ensure_compiler.sh

test: $(TEST_STAMP) chromium postgres compiler $(NATIVE_STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile --durations=15

# The fast loop: ruff's lint and format check, the import contracts (.importlinter: the layers,
# no cycle, no streamlit in model/), mypy over model/, and every test that starts no
# process, server, browser or PostgreSQL cluster and trains for seconds at most (pyproject.toml's
# markers). Needs no Debian package; without the native kernel built its tests use BlockLSTM.
FAST_TESTS := not slow and not e2e and not process
check: $(TEST_STAMP) $(NATIVE_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 -m "$(FAST_TESTS)"

# torch is for the benchmark's PyTorch reference only (CPU wheel).
$(BENCH_STAMP): requirements-bench.txt $(TEST_STAMP)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements-bench.txt
	touch $@

# Each part prints its own figures, side by side within the part, in one run on the same machine.
bench: $(BENCH_STAMP) chromium $(NATIVE_STAMP)
	$(BIN)/python -m scripts.bench
	$(BIN)/python -m scripts.bench_data
	$(BIN)/python -m scripts.bench_runs
	$(BIN)/python -m scripts.bench_sweep
	$(BIN)/python -m scripts.bench_forecast
	$(BIN)/python -m scripts.bench_evidence
	$(BIN)/python -m scripts.bench_inside
	$(BIN)/python -m scripts.bench_tour
	$(BIN)/python -m scripts.bench_roofline

clean:
	rm -rf $(VENV) tests/artifacts .pytest_cache model/native/build
