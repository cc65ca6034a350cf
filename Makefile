# Targets for developers and CI. `make test` runs everything, browser tests
# included, installing what they need (npm packages, Debian's chromium).

GO          ?= go
FUZZTIME    ?= 10s
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

# Go modules nested in this repository, with dependencies the library's own
# module must not carry. All are vetted; the cluster target tests the ones
# that need redis-server and nginx.
MODULES      = examples/prometheus pubsub/redis examples/cluster bench
UNIT_MODULES = examples/prometheus bench

# Every fuzz target, as package:Target.
FUZZ_TARGETS = \
	./internal/frame:FuzzDecodeMessages \
	./internal/frame:FuzzAppendString \
	./internal/frame:FuzzEventData \
	./internal/frame:FuzzXHR \
	./internal/frame:FuzzEventSource \
	./internal/frame:FuzzHTMLFile \
	./internal/frame:FuzzJSONP \
	./internal/frame:FuzzScriptString \
	./internal/clientdecode:FuzzHTMLScripts \
	./internal/clientdecode:FuzzParseJSON \
	./internal/hixie76:FuzzReadMessage \
	./pubsub:FuzzParseOffset \
	./client:FuzzResponse \
	./client:FuzzStreamingRoundTrip \
	.:FuzzRoute \
	.:FuzzCallback \
	.:FuzzSend

.PHONY: test deps lint unit load fuzz cluster e2e run bench tidy

## test: lint, unit tests with the race detector, load test, short fuzz runs, cluster tests, browser suite
test: lint unit load fuzz cluster e2e

## lint: gofmt, go vet, staticcheck, and one Go floor and no replace directive in the modules
lint:
	bash scripts/check-modules.sh
	@out=$$(gofmt -l . | grep -v '/node_modules/' || true); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) -checks 'all,-ST1000,-ST1003' ./...
	@set -e; for m in $(MODULES); do (cd $$m && $(GO) vet ./...); done

## tidy: go mod tidy in every module; the nested ones require the library at its release
## version, so they are tidied against the working tree through a transient replace
tidy:
	$(GO) mod tidy
	@set -e; for m in $(MODULES); do (cd $$m && \
		for r in github.com/gosockjs/sockjs=$(CURDIR) github.com/gosockjs/sockjs/pubsub/redis=$(CURDIR)/pubsub/redis; do \
			GOWORK=off $(GO) mod edit -replace=$$r; done && \
		GOWORK=off $(GO) mod tidy; \
		status=$$?; \
		GOWORK=off $(GO) mod edit -dropreplace=github.com/gosockjs/sockjs -dropreplace=github.com/gosockjs/sockjs/pubsub/redis; \
		exit $$status); done

## deps: the npm packages of the reference server (npm sockjs 0.3.24) that tests compare against
deps:
	bash scripts/npm-ci.sh testdata/sockjs-node

## unit: the Go tests of the library and its examples, with the race detector
unit: deps
	SOCKJS_REFERENCE=require $(GO) test -race -count=1 ./...
	@set -e; for m in $(UNIT_MODULES); do echo "module $$m"; (cd $$m && $(GO) test -race -count=1 ./...); done

## load: 35,000 sessions over every transport; goroutines and heap must return to baseline
load:
	SOCKJS_LOAD=35000 $(GO) test -count=1 -run '^TestLoadSessionsReturnToBaseline$$' -v .

## fuzz: every fuzz target for FUZZTIME each (make fuzz FUZZTIME=5m for a long run)
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) $$pkg; \
	done

## cluster: pubsub against redis-server (one, a Cluster, Sentinel), three nodes behind nginx and HAProxy (installs them when missing)
cluster:
	bash scripts/cluster-test.sh

## e2e: every sockjs-client version of e2e/package.json in headless Chromium against examples/echo, every transport; multiplex; the chat's history
e2e:
	bash e2e/setup.sh
	node e2e/multiplex.mjs
	node e2e/chat.mjs
	node e2e/run.mjs

## run: the echo test server on :8081
run:
	$(GO) run ./examples/echo

## bench: micro benchmarks, the side-by-side load benchmark (bench/results.md), the cluster fan-out, 3 nodes against 1
##        (BENCH_BEFORE=<rev> and BENCH_LOAD_BEFORE=<rev> add the library and the load generator at <rev>: bench/README.md)
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...
	bash bench/run.sh
	bash scripts/cluster-test.sh -bench
