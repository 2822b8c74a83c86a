# `make test` is what CI runs (through `bash .ci/run`, which first installs
# shellcheck and the Python packages of tests/conformance/requirements.txt).

CARGO ?= cargo

.PHONY: all build test conformance lint fmt fmt-check bench golden ci

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
