# CyberCampus: `make run` sets everything up and serves on :8080; `make test`
# runs the whole test suite against real PostgreSQL and Redis.
SHELL := /bin/bash
GO ?= go
BIN := bin/cybercampus
FUZZTIME ?= 3s
export PATH := $(PATH):/usr/local/go/bin

.PHONY: run test build services vet fmt bench chaos fuzz

build:
	$(GO) build -o $(BIN) ./cmd/cybercampus

# PostgreSQL and Redis reachable (started or installed when needed).
services:
	@./scripts/services.sh

run: services build
	$(BIN) migrate up
	$(BIN) seed
	@echo
	@echo "CyberCampus is starting on $${PUBLIC_BASE_URL:-http://localhost:8080}"
	@echo "Create the first admin with:"
	@echo "  $(BIN) users create --email admin@example.org --password 'choose-a-long-one' --name 'Admin' --role admin"
	@echo
	$(BIN) serve

# Every test against the real services, the pages' browser tests in Debian's
# Chromium with axe-core (both installed when missing), then each fuzz target
# briefly.
test: services
	@./scripts/chromium.sh
	@./scripts/axe.sh
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 15m ./...
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

fmt:
	gofmt -w $$(git ls-files '*.go')
