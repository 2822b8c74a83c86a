# `make test` is what CI runs (through `bash .ci/run`, which first installs
# shellcheck and the Python packages of tests/conformance/requirements.txt).

CARGO ?= cargo

.PHONY: all build test conformance lint fmt fmt-check bench golden ci e2e e2e-tools docs chaincode-deps chaincode-test prerequisites

all: build

build:
	$(CARGO) build --release --locked

# Formatting and clippy are part of the test suite.
test: prerequisites fmt-check lint chaincode-test
	$(CARGO) test --lib --bins --tests --benches --locked

# What the tests use besides cargo; `bash .ci/run` installs all of it.
prerequisites:
	@missing=""; \
	for tool in shellcheck busybox strace python3 node npm; do \
		command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; \
	done; \
	python3 -c 'import kubernetes_validate, jsonschema, yaml, hera' 2>/dev/null || \
		missing="$$missing python-packages(tests/conformance/requirements.txt)"; \
	if [ -n "$$missing" ]; then \
		echo "make test: missing:$$missing"; \
		echo "run \`bash .ci/run\` once: it installs them and runs make test"; \
		exit 2; \
	fi

# Only the real-engine checks (Helm, kubernetes-validate, Argo schema, shellcheck).
conformance:
	$(CARGO) test --locked --test conformance

lint:
	$(CARGO) clippy --all-targets --locked -- -D warnings

fmt:
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all --check

# With a cryptogen (CRYPTOGEN=<its path>, FABRIC_BIN=<Fabric release>/bin, or
# on PATH) it also times fabchart against `cryptogen generate`, in turn; it
# says so when it finds none.
bench:
	CRYPTOGEN="$(CRYPTOGEN)" FABRIC_BIN="$(FABRIC_BIN)" $(CARGO) bench --locked

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
# E2E_ARGS: more arguments, e.g. --chaincode <ccaas program> (default: the
# sample chaincode, chaincode/ledger-notes). Each TLS project also runs the
# sample application (chaincode/gateway-client) with the connection profile
# and user identity compile wrote, on every channel of every chaincode.
# On projects with persistence (simple-persistent) it also runs the restore
# drill (backup, destroy, restore, faults) against S3 (moto), Azure Blob
# (Azurite) and GCS (fake-gcs-server) with the real rclone, which e2e-tools
# installs into target/e2e-tools. UPGRADE_BIN (optional): the bin/ folder of
# a Fabric 3 release (its config/ and builder beside it, as for FABRIC_BIN):
# at the end each project is upgraded to it (upgrade-check, fabricVersion,
# compile, every node restarted from the new chart on its binaries, the
# channels raised to V3_0, the chaincode invoked again). A folder of projects
# (samples/cross-cluster) runs as one network over several clusters that
# exchange only bundles and signed updates (tests/e2e/crosscluster.py; no
# upgrade or restore drill there).
E2E_PROJECTS ?= samples/simple samples/scaled-raft-tls samples/simple-persistent tests/fixtures/projects/no-tls samples/cross-cluster
e2e: build chaincode-deps e2e-tools
	@test -n "$(FABRIC_BIN)" || { echo "make e2e: set FABRIC_BIN=<Fabric release>/bin"; exit 2; }
	set -e; for project in $(E2E_PROJECTS); do \
		python3 tests/e2e/run.py $$project --fabric-bin "$(FABRIC_BIN)" \
			$(if $(FABRIC_VERSION),--fabric-version "$(FABRIC_VERSION)") \
			$(if $(UPGRADE_BIN),--upgrade-to "$(UPGRADE_BIN)") $(E2E_ARGS); \
	done

e2e-tools:
	bash tests/e2e/install-tools.sh target/e2e-tools

# The sample chaincode's and application's npm packages (package-lock.json).
chaincode-deps:
	cd chaincode/ledger-notes && npm ci --no-audit --no-fund
	cd chaincode/gateway-client && npm ci --no-audit --no-fund

# Their own tests (the contract through fabric-shim's stub, the server, the client's inputs).
chaincode-test: chaincode-deps
	cd chaincode/ledger-notes && npm test
	cd chaincode/gateway-client && npm test

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
