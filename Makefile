# The front door: `make demo` and `make test` do all set-up themselves (setup.sh is idempotent).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
# Same interpreter for cargo and maturin, so pyo3's build script does not re-run between them.
export PYO3_PYTHON := $(PY)
PYTEST_ARGS ?=
PY_DIRS := python tests examples benchmarks

.PHONY: help setup demo test test-rust test-python lint bench

help:
	@echo "make demo   - set up, build, run the demo kernels against NumPy"
	@echo "make test   - set up, build, run cargo tests, pytest and lint"
	@echo "make lint   - cargo fmt --check, cargo clippy -D warnings, ruff check"
	@echo "make bench  - set up, build, run the benchmarks (BENCH_ARGS=--quick for a short run)"
	@echo "make wheel  - build dist/: the release wheel (static LLVM, manylinux, abi3) and the sdist"
	@echo "make test-wheel - build the wheel, run the suite against it installed in fresh venvs"

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

bench:
	@./setup.sh --bench
	$(PY) benchmarks/bench.py $(BENCH_ARGS)
	$(PY) benchmarks/bench_vecmath.py $(BENCH_ARGS)

.PHONY: wheel test-wheel
# Interpreters the installed-wheel test runs on; each gets the newest NumPy it supports.
WHEEL_PYTHONS ?= python3 $(HOME)/.pyenv/versions/3.13.0/bin/python

wheel:
	@./setup.sh --wheel
	packaging/build-wheel.sh

test-wheel: wheel
	packaging/test-wheel.sh $(WHEEL_PYTHONS)
