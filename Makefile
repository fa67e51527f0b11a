# Everyday commands. `make test` is what the README and CI run.
GO ?= go
CHAPTERS := $(sort $(wildcard chapters/[0-9]*))

.PHONY: test vet fmt chapters bench ci bases verify-bases browser-test explore effects

test:
	$(GO) test ./...

vet:
	$(GO) vet ./...

# Fails if any file needs gofmt; `gofmt -w .` fixes them.
fmt:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Runs every chapter program once with its defaults.
chapters:
	@set -e; for c in $(CHAPTERS); do echo "== $$c"; $(GO) run ./$$c > /dev/null; done

bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...

ci:
	bash .ci/run

# Rebuilds every shipped base under testdata/bases (tens of minutes on 2 cores).
bases:
	$(GO) run ./chapters/bases -name story
	$(GO) run ./chapters/bases -name shapes-text
	$(GO) run ./chapters/bases -name shapes-latent

# Checks each shipped base's sha256 and re-runs the first logged updates of
# its recipe, comparing the losses with its manifest bit for bit.
verify-bases:
	$(GO) run ./chapters/bases -verify

# Serves the explorer page for the shipped story base on 127.0.0.1:8080.
explore:
	$(GO) run ./cmd/explore

# Loads the explorer page in headless Chromium (installed if missing) and
# checks what it rendered against the JSON API; prints the screenshot path.
browser-test:
	bash scripts/browser-test.sh

# Runs every chapter that reports a headline effect on seeds 1, 2 and 3 and
# prints one table of the gains (mean, min, max, paired standard errors).
effects:
	$(GO) run ./chapters/effects -seeds 1,2,3
