# tensorpool — build, codegen and test entry points. `make test` works from a clean clone.
SHELL := /bin/bash
GO ?= go
TP := third_party
STATICCHECK := $(TP)/bin/staticcheck
FUZZTIME ?= 3s
BUILD := build
PREFIX ?= /usr/local

.PHONY: all deps build codegen codegen-check fmt-check vet staticcheck gotest fuzz ctest pyvenv pytest test demo bench-cabi bench-python install clean

all: build

# Everything setup downloads (Go modules, sbe-all and aeron-all jars, staticcheck), pinned and verified.
deps:
	$(GO) mod download
	scripts/fetch-deps.sh

# The transport the commands and libtensorpool.so are built with: aeron (the pure-Go client, the default) or
# aeronc (the official Aeron C client, package aeronc: libaeron found through
# AERON_C_LIBRARY, AERON_C_INCLUDE_DIR, pkg-config or CMAKE_PREFIX_PATH; see README).
TRANSPORT ?= aeron
TAGS := $(if $(filter aeronc,$(TRANSPORT)),-tags aeronc)

# The installed commands tp and tp-driver, version-stamped, into build/bin: what the
# README's quickstart runs. (make vet type-checks every package.)
build:
	GO=$(GO) TRANSPORT=$(TRANSPORT) scripts/build-commands.sh $(BUILD)/bin

# Regenerates the committed SBE codecs (Go flyweights and C headers) from schemas/.
codegen: deps
	scripts/codegen.sh

# Fails when the committed codecs differ from what sbe-tool generates now.
codegen-check: deps
	scripts/codegen.sh --check

fmt-check:
	@files=$$(find . -name '*.go' -not -path './third_party/*' -not -path './build/*'); \
	out=$$([ -z "$$files" ] || gofmt -l $$files); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# Both also check the aeronc transport and what it selects, which need cgo but not libaeron
# to compile.
vet:
	$(GO) vet ./...
	$(GO) vet -tags aeronc ./aeronc/... ./transport/backend/... ./cmd/tp-aeron-bench/... ./cmd/tp-bench/...

staticcheck: deps
	$(STATICCHECK) ./...
	$(STATICCHECK) -tags aeronc ./aeronc/... ./transport/backend/... ./cmd/tp-aeron-bench/... ./cmd/tp-bench/...

# The verbose log goes to build/gotest.log; the console gets one line a package, and the
# whole story of any failing test, its failed assertions last (a test's logs can be long).
FAILED_ASSERTIONS = { echo "failed assertions:"; grep -E -A3 '^\s+Error:\s' $(BUILD)/gotest.log; }
# The tests' temporary directories, SHM base directories among them, live on tmpfs as SHM
# does where tensorpool runs: on a disk, the fsync of each file of a new epoch waits for what
# else the machine writes (the test binaries being linked: 4-19 ms a 4 MiB file here, against
# microseconds on tmpfs), and the tests' timing should not hang on the disk of the machine
# running them. Removed when the tests end, pass or fail.
TEST_TMPDIR = tmp=$$(mktemp -d /dev/shm/tp-gotest.XXXXXX) && trap 'rm -rf "$$tmp"' EXIT && export TMPDIR=$$tmp

gotest: deps
	@mkdir -p $(BUILD)
	@$(TEST_TMPDIR); set -o pipefail; $(GO) test -race -timeout 15m -v ./... 2>&1 | tee $(BUILD)/gotest.log | \
		grep -E '^(ok|FAIL|panic:)' || { grep -E -B20 -A3 '^\s*--- FAIL|^panic:' $(BUILD)/gotest.log; $(FAILED_ASSERTIONS); exit 1; }
	@# Without -race: every test of the files built with //go:build !race (allocation contracts,
	@# torn-read stress at full length), found by that constraint rather than by test names.
	@$(TEST_TMPDIR); set -o pipefail; scripts/norace-tests.sh 2>&1 | tee -a $(BUILD)/gotest.log | \
		grep -E '^(without -race|FAIL|panic:)|^ok .*[0-9]s$$' || { grep -E -B20 -A3 '^\s*--- FAIL|^panic:|AllocsPerRun' $(BUILD)/gotest.log; $(FAILED_ASSERTIONS); exit 1; }
	@# The aeronc transport, when libaeron is found (else one line saying why not).
	@GO=$(GO) scripts/test-aeronc.sh $(BUILD)/gotest.log

# Runs every go-test fuzz target briefly against its committed corpus plus new inputs.
fuzz: deps
	FUZZTIME=$(FUZZTIME) scripts/fuzz-all.sh

# CMake builds libtensorpool.so (go build -buildmode=c-shared ./cabi; go's build cache decides
# what is stale), the C and C++ examples and tests, and ctest runs them (no media driver needed).
ctest:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Debug -DTP_TRANSPORT=$(TRANSPORT) >/dev/null
	cmake --build $(BUILD) -j 2
	cd $(BUILD) && ctest --output-on-failure

# The Python package (python/) in a venv of its own under third_party/, with pinned test
# dependencies: pip builds the wheel (go build of libtensorpool.so, cffi declarations from
# include/), then pytest runs it against a real tp-driver and Java media driver.
PYTHON ?= python3
PYVENV := $(TP)/pyvenv
PYPINS := numpy==2.2.6 cffi==2.0.0 pytest==8.3.5 pytest-timeout==2.4.0
pyvenv:
	@test -x $(PYVENV)/bin/python || $(PYTHON) -m venv $(PYVENV)
	$(PYVENV)/bin/pip install -q --disable-pip-version-check $(PYPINS)
	$(PYVENV)/bin/pip install -q --disable-pip-version-check --force-reinstall --no-deps ./python

pytest: deps pyvenv
	cd python && ../$(PYVENV)/bin/python -m pytest -q

# tp and tp-driver into $(PREFIX)/bin; libtensorpool.so, the C headers, tensorpool.pc and
# the CMake package into $(PREFIX)/lib and include: make install PREFIX=$HOME/.local
install:
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) -DTP_TRANSPORT=$(TRANSPORT) >/dev/null
	cmake --build $(BUILD) -j 2
	cmake --install $(BUILD)

test: deps fmt-check vet staticcheck codegen-check gotest fuzz ctest pytest
	@echo "Go tests and subtests (details in $(BUILD)/gotest.log):"
	@echo "go: $$(grep -cE '^\s*--- PASS' $(BUILD)/gotest.log) passed, $$(grep -cE '^\s*--- FAIL' $(BUILD)/gotest.log) failed, $$(grep -cE '^\s*--- SKIP' $(BUILD)/gotest.log) skipped"

# Media driver, SHM driver, producer and consumer in one process for a few seconds;
# flags go in DEMO_ARGS, e.g. make demo DEMO_ARGS="-duration 10s -size 4096".
demo: deps
	$(GO) run ./cmd/tp-demo $(DEMO_ARGS)

# C producer → C consumer through libtensorpool.so against the same in Go, alternating rounds
# (BENCHMARKS.md); flags go in BENCH_ARGS, e.g. make bench-cabi BENCH_ARGS="--rounds 5 --json".
bench-cabi: deps
	$(GO) run ./cmd/tp-cabi-bench $(BENCH_ARGS)

# A Python consumer against the C consumer of the same C producer (BENCHMARKS.md); flags go
# in BENCH_ARGS, e.g. make bench-python BENCH_ARGS="--rounds 5 --sizes 64,640K".
bench-python: deps pyvenv
	$(PYVENV)/bin/python python/bench/bench_consumer.py $(BENCH_ARGS)

clean:
	rm -rf $(BUILD)
