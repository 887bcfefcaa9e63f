# ioc1022: `make test` installs what the tests need, then runs every test with -race.
GO        ?= go
PKGS      ?= ./...
# Debian packages the tests use; installed when missing (apt-get as root, or sudo).
APT_PKGS  ?= sip-tester
TEST_TIMEOUT ?= 25m

.PHONY: all build test deps vet staticcheck unit bench run clean

all: build

build:
	$(GO) build -o ioc1022 ./cmd/ioc1022

run:
	$(GO) run ./cmd/ioc1022 --demo

deps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	@command -v staticcheck >/dev/null 2>&1 || $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2

vet:
	$(GO) vet $(PKGS)

staticcheck: deps
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck $(PKGS)

unit:
	$(GO) test -race -timeout $(TEST_TIMEOUT) $(PKGS)

test: deps vet staticcheck unit

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -f ioc1022
