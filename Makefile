# The README's two commands: `make run` (the sandbox) and `make test` (everything CI runs).
GO ?= go
GOLANGCI_LINT_VERSION ?= v2.15.0
BIN := bin

.PHONY: all build deps test test-unit test-e2e lint fmt vet run bench clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

vet:
	$(GO) vet ./...

# What the tests need from the system: Debian's Chromium for pkg/timeline's browser tests. Installs
# it (as root, with apt-get) only when no `chromium` is on the PATH.
deps:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" != 0 ]; then echo "chromium is missing: run 'make deps' as root" >&2; exit 1; fi; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

test: deps vet test-unit test-e2e

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

# The sandbox (test/cmd/sandbox, see test/README.md): the fake Azure over HTTPS, a real kube-apiserver with
# the upstream controllers and simulated nodes, the cloud-controller binary, the load balancer's data plane
# and examples/local-service.yaml, all on loopback, with a live page. Needs root (node addresses go on lo).
# Ctrl-C stops everything. RUN_ARGS adds flags (e.g. RUN_ARGS="--rps 50 --ui 127.0.0.1:9090").
run: build
	@echo "make run: building the sandbox (test/cmd/sandbox). The first build compiles most of Kubernetes and takes several minutes; later builds take seconds."
	cd test && $(GO) build -o ../$(BIN)/sandbox ./cmd/sandbox
	exec ./$(BIN)/sandbox --cloud-controller ./$(BIN)/cloud-controller -f examples/local-service.yaml $(RUN_ARGS)

bench:
	./hack/bench.sh

clean:
	rm -rf $(BIN)
