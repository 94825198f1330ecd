# CyberCampus: `make run` sets everything up and serves on :8080; `make test`
# runs the whole test suite against real PostgreSQL and Redis.
SHELL := /bin/bash
GO ?= go
BIN := bin/cybercampus
export PATH := $(PATH):/usr/local/go/bin

.PHONY: run test build services vet fmt bench chaos fuzz

build:
	$(GO) build -o $(BIN) ./cmd/cybercampus

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

test: services
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 15m ./...

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')
