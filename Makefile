# Proof2Silicon setup, demo and tests. Every target is idempotent; the second run is quick.
#   make demo   set everything up, then run the main job on the bundled example with the embedded default
#   make test   set everything up, then run the test suite
#
# Caches that outlive a clone (models, the HLS toolchain environment, the verification cache) live in
# $(P2S_HOME), default ~/.cache/proof2silicon.

PYTHON      ?= python3
VENV        ?= .venv
P2S_HOME    ?= $(HOME)/.cache/proof2silicon
STAMPS      := .make
APT_PACKAGES := dafny z3 iverilog verilator yosys nextpnr-ice40 fpga-icestorm
BIN         := $(VENV)/bin
export P2S_HOME

.PHONY: setup demo test test-fast lint clean

setup: $(STAMPS)/apt $(STAMPS)/venv

demo: setup
	$(BIN)/p2s verify benchmarks/examples/max_array.dfy --task benchmarks/examples/max_array.yaml

test: setup
	$(BIN)/python -m pytest -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow and not llm"

lint: setup
	$(BIN)/ruff check pipeline verifiers hls agents benchmarks tests

$(STAMPS)/apt:
	@mkdir -p $(STAMPS)
	@if dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then echo "system packages present"; else \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; fi
	@touch $@

$(STAMPS)/venv: pyproject.toml
	@mkdir -p $(STAMPS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

clean:
	rm -rf $(STAMPS) $(VENV) runs
