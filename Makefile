# Two commands do everything on a fresh machine with Python 3.11+ and make:
#   make build   # create .venv if needed, then build the dataset from ../shared/corpus (or RAW_DIR=...)
#   make test    # create .venv if needed, then run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RAW_DIR ?= ../shared/corpus
export DAGSTER_HOME := $(CURDIR)/.dagster_home

.PHONY: build test lint dev bench dictionary status report clean

$(VENV)/.installed: pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed: set PYTHON=python3.11 (or newer)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing pinned dependencies into $(VENV) (first run only) ..."
	@$(BIN)/python -m pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $@

build: $(VENV)/.installed
	@RAW_DIR="$(RAW_DIR)" $(BIN)/sfp build $(ARGS)

status: $(VENV)/.installed
	@$(BIN)/sfp status

test: $(VENV)/.installed
	@$(BIN)/python -m pytest $(ARGS)

lint: $(VENV)/.installed
	@$(BIN)/ruff check .

dev: $(VENV)/.installed
	@mkdir -p $(DAGSTER_HOME) && cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	@RAW_DIR="$(abspath $(RAW_DIR))" PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/dg dev

bench: $(VENV)/.installed
	@echo "== parse CPU per corpus file"; $(BIN)/python benchmarks/parse_cpu.py
	@echo "== entity quality and speed"; $(BIN)/python -m benchmarks.entities; $(BIN)/python benchmarks/entity_pipeline_eval.py
	@echo "== builds at 1x, 10x, 100x"; $(BIN)/python benchmarks/build_scale.py $(ARGS)
	@echo "(catalog alone: benchmarks/catalog_speed.py PARQUET_DIR WORK_DIR, see its docstring)"

report: $(VENV)/.installed
	@RAW_DIR="$(RAW_DIR)" $(BIN)/python -m pipelines.report

dictionary: $(VENV)/.installed
	@$(BIN)/python -m schemas.dictionary

clean:
	rm -rf outputs .dagster_home
