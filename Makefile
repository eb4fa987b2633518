# berth — build and test entry points. CI runs `.ci/run`, which runs `make test`.
#
#   make test    install the pinned test tools, vet, gofmt check, unit tests, end-to-end tests
#   make unit    vet, gofmt check, unit tests (the S3 tests need versitygw: `make tools` installs it)
#   make build   bin/berth
#   make e2e     install the test tools, then the end-to-end tests only (test/e2e)
#   make bench   benchmarks of internal/... (3 iterations each)
#   make bench-quick  berth vs Distribution, quick mode (under a minute; part of `make test`), see bench/README.md
#   make bench-full   berth vs Distribution, full mode, medians of 3 runs (about 16 minutes)
#
# Useful variables:
#   make e2e E2E_RUN=TestClientDocker           run only matching e2e tests
#   make e2e E2E_REGISTRY=127.0.0.1:5000        point client/conformance tests at another registry
#   make e2e E2E_ARTIFACTS=/tmp/e2e-artifacts   keep conformance reports
#   make bench-full BENCH_FLAGS='-out results.jsonl'   keep every measurement (go run ./bench -summarize results.jsonl)

export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin
SHELL := /bin/bash

GO          ?= go
E2E_TIMEOUT ?= 25m
E2E_PARALLEL ?= 8
E2E_RUN     ?=
E2E_FLAGS   ?= -count=1 -timeout $(E2E_TIMEOUT) -parallel $(E2E_PARALLEL) $(if $(E2E_RUN),-run '$(E2E_RUN)')
BENCH_FLAGS ?=

# Targets run their prerequisites in the order listed, even under make -j.
.NOTPARALLEL:
.PHONY: test unit build e2e bench bench-quick bench-full tools vet fmt-check unit-tests e2e-tests

test: tools vet fmt-check unit-tests e2e-tests bench-quick

unit: vet fmt-check unit-tests

e2e: tools e2e-tests

build:
	$(GO) build -o bin/berth ./cmd/berth

bench:
	$(GO) test -run '^$$' -bench . -benchtime 3x ./internal/...

# The project's benchmark (bench/): berth and Distribution (Debian docker-registry, installed by
# `tools`) on fresh data dirs, the same scenarios against both. It fails only on errors (a server
# that does not start, failed requests), never on a missed target.
bench-quick: tools
	$(GO) run ./bench -quick $(BENCH_FLAGS)

bench-full: tools
	$(GO) run ./bench -runs 3 $(BENCH_FLAGS)

tools:
	scripts/install-test-tools.sh

vet:
	$(GO) vet ./...

fmt-check:
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then \
		echo "gofmt: these files are not formatted (run gofmt -w on them):"; echo "$$unformatted"; exit 1; \
	fi; echo "gofmt: ok"

# Unit tests: every package except the end-to-end suite.
unit-tests:
	@set -euo pipefail; pkgs=$$($(GO) list ./...); \
	pkgs=$$(grep -v '/test/e2e' <<<"$$pkgs" || true); \
	echo "$(GO) test $$(wc -w <<<"$$pkgs") packages (all but test/e2e)"; \
	$(GO) test $$pkgs

e2e-tests:
	$(GO) test $(E2E_FLAGS) ./test/e2e/...
