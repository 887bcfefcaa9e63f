# ioc1022: `make test` installs what the tests need, then runs every test with -race.
GO        ?= go
PKGS      ?= ./...
# Debian packages the tests use; installed when missing (apt-get as root, or sudo).
APT_PKGS  ?= sip-tester chromium nodejs npm mosquitto
# A node and npm from elsewhere (NodeSource's nodejs bundles npm and conflicts with Debian's npm)
# count as installed.
# The browser tests' npm packages (playwright-core), pinned by package-lock.json.
E2E_DIR   ?= integrations/consoletest/e2e
TEST_TIMEOUT ?= 25m
STATICCHECK_VERSION ?= v0.8.2

.PHONY: all build test deps vet staticcheck unit unit-embedded bench run clean

all: build

build:
	$(GO) build -o ioc1022 ./cmd/ioc1022

run:
	$(GO) run ./cmd/ioc1022

deps:
	@missing=""; for p in $(APT_PKGS); do \
	  case $$p in nodejs) command -v node >/dev/null 2>&1 && continue;; npm) command -v npm >/dev/null 2>&1 && continue;; esac; \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	@[ -d $(E2E_DIR)/node_modules ] || (cd $(E2E_DIR) && npm ci --ignore-scripts --no-audit --no-fund)
	@[ -x "$$($(GO) env GOPATH)/bin/staticcheck" ] || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

vet:
	$(GO) vet $(PKGS)

staticcheck: deps
	"$$($(GO) env GOPATH)/bin/staticcheck" $(PKGS)

# The tests run with -race, which slows the embedded store's own code about tenfold. Unless
# MONGODB_URI names a store already, one embedded store is started once, built without -race
# (`ioc1022 store`), and every test talks to it over the MongoDB wire protocol in a database of
# its own. Tests about the embedded start itself (the kill -9 test) still start their own.
unit:
	@if [ -n "$$MONGODB_URI" ]; then \
	  echo "tests against MONGODB_URI"; $(GO) test -race -timeout $(TEST_TIMEOUT) $(PKGS); exit $$?; \
	fi; \
	set -e; mkdir -p bin; $(GO) build -o bin/ioc1022 ./cmd/ioc1022; \
	tmp=$$(mktemp -d); bin/ioc1022 store --data $$tmp --listen 127.0.0.1:0 > $$tmp/store.out 2>&1 & spid=$$!; \
	for i in $$(seq 300); do grep -q 'mongodb://' $$tmp/store.out && break; sleep 0.1; done; \
	uri=$$(grep -o 'mongodb://[^ ]*' $$tmp/store.out); \
	if [ -z "$$uri" ]; then cat $$tmp/store.out; kill $$spid; exit 1; fi; \
	echo "tests against the embedded store at $$uri"; \
	set +e; MONGODB_URI=$$uri $(GO) test -race -timeout $(TEST_TIMEOUT) $(PKGS); rc=$$?; \
	kill $$spid; wait $$spid 2>/dev/null; rm -rf $$tmp; exit $$rc

# Every test with its own in-process embedded store (slower under -race).
unit-embedded:
	$(GO) test -race -timeout $(TEST_TIMEOUT) $(PKGS)

test: deps vet staticcheck unit

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf ioc1022 bin
