# The front door: `make demo` and `make test` do all set-up themselves (setup.sh is idempotent).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
# Same interpreter for cargo and maturin, so pyo3's build script does not re-run between them.
export PYO3_PYTHON := $(PY)
PYTEST_ARGS ?=
PY_DIRS := python tests examples benchmarks scripts

.PHONY: help setup demo test test-rust test-python test-py313 lint bench fuzz

help:
	@echo "make demo   - set up, build, run the demo kernels against NumPy"
	@echo "make test   - set up, build, run cargo tests, pytest and lint"
	@echo "make lint   - module cycles, cargo fmt --check, cargo clippy -D warnings, ruff check and format, stubtest"
	@echo "make test-py313 - build for CPython 3.13 + NumPy >= 2.5 (.venv313) and run the dispatch tests"
	@echo "make fuzz   - a long random run of the differential fuzzer (FUZZ_EXAMPLES=5000)"
	@echo "make bench  - set up, build, run the benchmarks (BENCH_ARGS=--quick for a short run)"
	@echo "make wheel  - build dist/: the release wheel (static LLVM, manylinux, abi3) and the sdist"
	@echo "make test-wheel - build the wheel, run the suite against it installed in fresh venvs"
	@echo "make test-installed-wheel - that test alone, on the wheel already in dist/"

setup:
	@./setup.sh

demo: setup
	$(PY) examples/demo.py

test: setup test-rust test-python lint

# Tests run every lowered kernel through the IR verifier (release builds skip it otherwise).
test-rust test-python: export UFUNCGEN_VERIFY_IR := 1

# The binding's tests embed the interpreter: give it the virtual environment's packages (read
# when the recipe runs: on a fresh clone the venv appears only during `setup`).
test-rust:
	PYTHONPATH="$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
		cargo test --release --workspace

test-python:
	$(PY) -m pytest -p no:cacheprovider $(PYTEST_ARGS) tests/python

# NumPy 2.5 needs Python >= 3.12; PY313=/path/to/python3.13 picks the interpreter.
test-py313:
	./scripts/test-py313.sh

lint: setup
	$(PY) scripts/check_module_cycles.py
	cargo fmt --all --check
	cargo clippy --all-targets -- -D warnings
	$(VENV)/bin/ruff check $(PY_DIRS)
	$(VENV)/bin/ruff format --check $(PY_DIRS)
	$(PY) -m mypy.stubtest ufuncgen._native

# The bounded, derandomized run is part of `make test`; this one draws new kernels each time.
FUZZ_EXAMPLES ?= 5000
fuzz: setup
	UFUNCGEN_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -p no:cacheprovider -x -q tests/python/test_fuzz_differential.py

bench:
	@./setup.sh --bench
	$(PY) benchmarks/bench.py $(BENCH_ARGS)
	$(PY) benchmarks/bench_vecmath.py $(BENCH_ARGS)

.PHONY: wheel test-wheel test-installed-wheel wheel-test-envs
# Interpreters the installed-wheel test runs on; each gets the newest NumPy it supports.
WHEEL_PYTHONS ?= python3 $(HOME)/.pyenv/versions/3.13.0/bin/python

wheel:
	@./setup.sh --wheel
	packaging/build-wheel.sh

test-wheel: wheel
	packaging/test-wheel.sh $(WHEEL_PYTHONS)

# The wheel test alone, on the wheel already in dist/ (.ci/run builds it while `make test` runs).
test-installed-wheel:
	packaging/test-wheel.sh $(WHEEL_PYTHONS)

# Only the wheel test's environments with its requirements (no wheel needed yet).
wheel-test-envs:
	packaging/test-wheel.sh --prepare $(WHEEL_PYTHONS)
