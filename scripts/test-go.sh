#!/bin/sh
# The Go SDK's checks, part of `npm test`: vet, every test with the race detector (the end-to-end
# ones against the built `canary serve`, required here: a missing build fails them), then each
# fuzz target for a bounded number of inputs. Any failure fails the command.
# The budget is a count, never a duration: a duration `-fuzztime` races Go's fuzz coordinator at
# its deadline (golang/go#75804, unfixed in 1.26) and fails with "context deadline exceeded" and no
# crasher on a loaded machine — CI hit it once.
set -eu
cd "$(dirname "$0")/../sdk/go"
for module in . openfeature; do
  if [ -f "$module/go.mod" ]; then
    (cd "$module" && go vet ./... && CANARY_E2E=required go test -race -count=1 ./...)
  fi
done
for target in FuzzCondition FuzzEvaluate; do
  go test -run '^$' -fuzz "^${target}\$" -fuzztime "${GO_FUZZTIME:-100000x}" .
done
