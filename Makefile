# The README's two commands: `make run` (the sandbox) and `make test` (everything CI runs).
GO ?= go
GOLANGCI_LINT_VERSION ?= v2.15.0
BIN := bin

.PHONY: all build test test-unit test-e2e lint fmt vet run bench clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

vet:
	$(GO) vet ./...

test: vet test-unit test-e2e

test-unit:
	$(GO) test -race -timeout 20m ./...

# The real-stack suites (test/ is its own module: it pulls k8s.io/kubernetes). Needs root to put node
# addresses on lo; the first build takes several minutes.
test-e2e:
	cd test && $(GO) vet ./... && $(GO) test -timeout 30m ./...

lint:
	$(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION) run ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

run: build
	./$(BIN)/lbctl plan -f examples/local-service.yaml

bench:
	./hack/bench.sh

clean:
	rm -rf $(BIN)
