#!/bin/sh
# The Go SDK's checks, part of `npm test`: vet, every test with the race detector (the end-to-end
# ones against the built `canary serve`, required here: a missing build fails them), then each
# fuzz target for a bounded time. Any failure fails the command.
set -eu
cd "$(dirname "$0")/../sdk/go"
for module in . openfeature; do
  if [ -f "$module/go.mod" ]; then
    (cd "$module" && go vet ./... && CANARY_E2E=required go test -race -count=1 ./...)
  fi
done
for target in FuzzCondition FuzzEvaluate; do
  go test -run '^$' -fuzz "^${target}\$" -fuzztime "${GO_FUZZTIME:-10s}" .
done
