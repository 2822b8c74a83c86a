# `make test` is what CI runs (through `bash .ci/run`, which first installs
# shellcheck and the Python packages of tests/conformance/requirements.txt).

CARGO ?= cargo

.PHONY: all build test conformance lint fmt fmt-check bench golden ci e2e docs

all: build

build:
	$(CARGO) build --release --locked

# Formatting and clippy are part of the test suite.
test: fmt-check lint
	$(CARGO) test --lib --bins --tests --benches --locked

# Only the real-engine checks (Helm, kubernetes-validate, Argo schema, shellcheck).
conformance:
	$(CARGO) test --locked --test conformance

lint:
	$(CARGO) clippy --all-targets --locked -- -D warnings

fmt:
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all --check

bench:
	$(CARGO) bench --locked

# README.md's option lists, from the flows' option structs (a unit test
# fails while they differ).
docs:
	$(CARGO) run --locked --example readme_options
	$(CARGO) run --locked --example schemas

# Opt-in, not part of `make test`: the samples on real Fabric binaries,
# without Kubernetes (as root; see tests/e2e/run.py), each pod started from
# the rendered chart. FABRIC_BIN: the bin/ folder of a Fabric 2.5 or 3.x
# release, with its config/ and chaincode-as-a-service builder beside it
# (builders/ccaas/bin or ccaas_builder/bin; else --fabric-config and
# --ccaas-builder in E2E_ARGS). FABRIC_VERSION (optional): the release the
# binaries must be; the samples are compiled for the release they report.
# E2E_ARGS: more arguments, e.g. --chaincode <ccaas binary>
# --invoke '{"Args":["put","k","v"]}'.
E2E_SAMPLES ?= simple scaled-raft-tls simple-persistent
e2e: build
	@test -n "$(FABRIC_BIN)" || { echo "make e2e: set FABRIC_BIN=<Fabric release>/bin"; exit 2; }
	set -e; for sample in $(E2E_SAMPLES); do \
		python3 tests/e2e/run.py samples/$$sample --fabric-bin "$(FABRIC_BIN)" \
			$(if $(FABRIC_VERSION),--fabric-version "$(FABRIC_VERSION)") $(E2E_ARGS); \
	done

# Re-run the tests writing changed snapshots as *.snap.new next to the old
# ones, then review them: with cargo-insta if installed, else list them
# (accept one by renaming it over its .snap).
golden:
	INSTA_UPDATE=new INSTA_FORCE_PASS=1 $(CARGO) test --all-targets --locked
	@if $(CARGO) insta --version >/dev/null 2>&1; then \
		$(CARGO) insta review; \
	else \
		new=$$(find . -path ./target -prune -o -name '*.snap.new' -print | sort); \
		if [ -n "$$new" ]; then \
			echo "Changed snapshots (review, then rename over the .snap to accept):"; \
			echo "$$new"; \
		else \
			echo "No changed snapshots."; \
		fi; \
	fi

ci: fmt-check lint test
