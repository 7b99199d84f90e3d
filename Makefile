# `make demo` sets everything up and runs the main job on the bundled catalogue;
# `make test` sets everything up and runs the tests. Both work from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed
BENCH_CASES ?= 1000000

.PHONY: demo test bench bench-scale fuzz install clean serve api-fuzz bench-api

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --quiet -e '.[test,server]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/catalogue validate
	$(BIN)/catalogue list
	$(BIN)/catalogue evaluate 12XR examples/12XR-case.yaml --format text
	$(BIN)/catalogue evaluate LEON-3 examples/LEON-3-case.yaml --format text
	mkdir -p results
	$(BIN)/catalogue batch 12XR examples/12XR-cases.csv --out results/12XR.csv
	$(BIN)/catalogue batch 12XR examples/12XR-cases.csv --out results/12XR-due.csv --due-within 45 --as-of 2016-05-01
	@cat results/12XR-due.csv
	$(BIN)/catalogue sheets --out sheets/html --format html
	$(BIN)/catalogue sheets --out sheets/md --format md
	@echo "Product sheets: open sheets/html/index.html (Markdown in sheets/md/)"

test: $(STAMP)
	$(BIN)/python -m pytest

# The HTTP service on the bundled catalogue: http://127.0.0.1:8000/docs (docs/api.md).
serve: $(STAMP)
	$(BIN)/catalogue serve

# Schemathesis against the service's own OpenAPI document, longer than the bounded run of make test.
API_EXAMPLES ?= 500
api-fuzz: $(STAMP)
	SCHEMATHESIS_EXAMPLES=$(API_EXAMPLES) SCHEMATHESIS_PRODUCTS=all $(BIN)/python -m pytest tests/test_web_schemathesis.py -q

# Requests/s and p50/p99 of evaluate against a bare endpoint of the same size (loopback, bounded in time).
bench-api: $(STAMP)
	$(BIN)/python benchmarks/api.py $(BENCH_API_ARGS)

# Timings against hand-written Python and two peer evaluators (benchmarks/README.md).
# make bench BENCH_CASES=100000 for a shorter batch run; BENCH_ARGS=--quick for fewer repeats.
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet --quiet -e '.[test,server,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/bench.py --cases $(BENCH_CASES) $(BENCH_ARGS)
	$(BIN)/python benchmarks/scaling.py

# Only the scaling figures: catalogues of 15, 100 and 1,000 cards (benchmarks/scaling.py).
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/scaling.py

# The long fuzz run: over 100,000 hostile inputs in eight classes and a million payment splits; the
# figures go in docs/robustness.md. make fuzz FUZZ_SCALE=0.1 for a tenth of it.
FUZZ_SCALE ?= 1
fuzz: $(STAMP)
	$(BIN)/python tests/fuzz_run.py --scale $(FUZZ_SCALE) --json fuzz-report.json

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis sheets results fuzz-report.json
