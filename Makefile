# CyberCampus: `make run` sets everything up and serves on HTTP_ADDR (:8080);
# `make test` runs the whole test suite against real PostgreSQL and Redis.
# Both take their services from DATABASE_URL and REDIS_URL.
SHELL := /bin/bash
GO ?= go
BIN := bin/cybercampus
FUZZTIME ?= 3s
# Learners the reports benchmarks generate when `make test` runs each once
# (to keep them compiling and working, not to measure; `make bench` measures).
BENCH_LEARNERS ?= 2000
# bin/tools holds the programs the tests check with (scripts/test-tools.sh).
export PATH := $(CURDIR)/bin/tools:$(PATH):/usr/local/go/bin
# A copy of the sources without git (a tarball, or a clone made elsewhere)
# still builds: Go stamps version control information only when git is there.
ifeq ($(shell command -v git),)
export GOFLAGS += -buildvcs=false
endif

.PHONY: run test build services vet fmt bench chaos fuzz fresh-check

build:
	$(GO) build -o $(BIN) ./cmd/cybercampus

# PostgreSQL and Redis reachable (started or installed when needed).
services:
	@./scripts/services.sh

run: services build
	$(BIN) migrate up
	$(BIN) seed
	@./scripts/hints.sh $(BIN)
	$(BIN) serve

# Every test with the race detector against the real services (the programs
# the tests check with installed first: Chromium, axe-core, pdftotext,
# kustomize), each benchmark once on small data so none can rot, then each
# fuzz target briefly.
test: services
	@./scripts/test-tools.sh
	@./scripts/axe.sh
	$(GO) vet ./...
	REPORTS_BENCH_LEARNERS=$(BENCH_LEARNERS) $(GO) test -race -count=1 -timeout 15m -bench . -benchtime 1x ./...
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

# Each fuzz target for FUZZTIME (make fuzz FUZZTIME=5m).
fuzz:
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

# The performance harness on generated national-scale data (not part of test).
bench: services
	./bench/run.sh

# Faults under load on a PostgreSQL cluster and Redis of its own (not part of test).
chaos:
	./chaos/run.sh

vet:
	$(GO) vet ./...

# The README's two commands on a new Debian root with only Go, in network,
# mount, PID and IPC namespaces of their own (not part of test; needs root).
fresh-check:
	./scripts/fresh-machine.sh

fmt:
	gofmt -w $$(git ls-files '*.go')
