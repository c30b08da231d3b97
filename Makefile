# The front door: `make demo` and `make test` do all set-up themselves (setup.sh is idempotent).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
# Same interpreter for cargo and maturin, so pyo3's build script does not re-run between them.
export PYO3_PYTHON := $(PY)
PYTEST_ARGS ?=
PY_DIRS := python tests examples benchmarks

.PHONY: help setup demo test test-rust test-python lint bench fuzz

help:
	@echo "make demo   - set up, build, run the demo kernels against NumPy"
	@echo "make test   - set up, build, run cargo tests, pytest and lint"
	@echo "make lint   - cargo fmt --check, cargo clippy -D warnings, ruff check"
	@echo "make fuzz   - a long random run of the differential fuzzer (FUZZ_EXAMPLES=5000)"
	@echo "make bench  - set up, build, run the benchmarks (BENCH_ARGS=--quick for a short run)"

setup:
	@./setup.sh

demo: setup
	$(PY) examples/demo.py

test: setup test-rust test-python lint

test-rust:
	cargo test --release -p ufuncgen

test-python:
	$(PY) -m pytest -p no:cacheprovider --timeout=120 $(PYTEST_ARGS) tests/python

lint: setup
	cargo fmt --all --check
	cargo clippy --all-targets -- -D warnings
	$(VENV)/bin/ruff check $(PY_DIRS)

# The bounded, derandomized run is part of `make test`; this one draws new kernels each time.
FUZZ_EXAMPLES ?= 5000
fuzz: setup
	UFUNCGEN_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -p no:cacheprovider -x -q tests/python/test_fuzz_differential.py

bench:
	@./setup.sh --bench
	$(PY) benchmarks/bench.py $(BENCH_ARGS)
	$(PY) benchmarks/bench_vecmath.py $(BENCH_ARGS)
