# medscribe: `make help` lists the targets.
GO       ?= go
# The offline speech recogniser is built in when Debian's pocketsphinx is installed.
TAGS     ?= $(shell pkg-config --exists pocketsphinx 2>/dev/null && echo pocketsphinx)
EVALDATA ?= ../shared/evaldata

.PHONY: help build demo test test-short bench fuzz eval lint e2e clean

help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-z0-9-]+:.*## /{printf "  %-11s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/medscribe
	$(GO) build -tags "$(TAGS)" -o bin/medscribe ./cmd/medscribe

demo: ## run the pipeline on the built-in sample visits (embedded store, no keys)
	$(GO) run -tags "$(TAGS)" ./cmd/medscribe demo

test: ## run every test (PostgreSQL tests need TEST_DATABASE_URL; see README)
	$(GO) vet -tags "$(TAGS)" ./...
	$(GO) test -tags "$(TAGS)" -count=1 -timeout 30m ./...

test-short: ## quick tests only
	$(GO) test -tags "$(TAGS)" -short ./...

bench: ## benchmarks (ingest throughput, NLP, notes, rules, ROUGE)
	$(GO) test -tags "$(TAGS)" -run '^$$' -bench . -benchtime 3s ./...

fuzz: ## fuzz each target in turn (FUZZTIME=10m, FUZZPARALLEL=1); go test replays the kept corpora
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    $(GO) test -tags "$(TAGS)" -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-10s} -fuzzminimizetime 200x -parallel $${FUZZPARALLEL:-1} $$pkg || exit 1; \
	  done; done

eval: ## run the dev eval suite over $(EVALDATA) with its regression gates
	MEDSCRIBE_EVALDATA=$(abspath $(EVALDATA)) $(GO) run -tags "$(TAGS)" ./cmd/medscribe eval run evals/suites/dev.yaml --out $(abspath evals/reports/dev)

lint: ## gofmt and vet
	@test -z "$$(gofmt -l .)" || (gofmt -l . && exit 1)
	$(GO) vet -tags "$(TAGS)" ./...

clean: ## remove build output and the embedded store
	rm -rf bin data
