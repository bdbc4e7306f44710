#!/bin/sh
# The release, built the one way the Dockerfile, CI and the tests all use:
#   1. install the exact lockfile (npm ci; `prepare` compiles dist/, the SDK and the console),
#   2. pack the server and the SDK into tarballs (what `npm publish` would upload),
#   3. install the server tarball into OUT/app with runtime dependencies only (--omit=dev),
#      exactly as an operator or the container image runs it.
#
# Usage: sh scripts/release.sh OUT_DIR [--reuse-modules | --prebuilt]
#   --reuse-modules  skip `npm ci` and only `npm run build` (node_modules is installed)
#   --prebuilt       skip both: dist/ and sdk/dist are current (`npm test` builds them before the
#                    tests run; its release test must not rebuild dist/ under the other tests' feet)
# Result: OUT_DIR/tarballs/{canary-flags-<v>.tgz, canary-flags-sdk-<v>.tgz}, OUT_DIR/app
#   (run it with: node OUT_DIR/app/node_modules/canary-flags/bin/canary.js serve)
set -eu
[ $# -ge 1 ] || { echo "usage: sh scripts/release.sh OUT_DIR [--reuse-modules | --prebuilt]" >&2; exit 2; }
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
cd "$(dirname "$0")/.."

if [ "${2:-}" = "--prebuilt" ]; then
  [ -f dist/server/main.js ] && [ -f sdk/dist/node.js ] || { echo "release: --prebuilt but dist/ is not built (npm run build)" >&2; exit 2; }
elif [ "${2:-}" = "--reuse-modules" ]; then
  npm run build
else
  npm ci --no-audit --no-fund
fi

rm -rf "$OUT/tarballs" "$OUT/app"
mkdir -p "$OUT/tarballs" "$OUT/app"
# dist/ was just built: skip `prepare`, which would build it all a second time.
npm pack --ignore-scripts --silent --pack-destination "$OUT/tarballs" >/dev/null
npm pack --ignore-scripts --silent --workspace sdk --pack-destination "$OUT/tarballs" >/dev/null
SERVER_TGZ=$(ls "$OUT"/tarballs/canary-flags-[0-9]*.tgz)

# npm 11 runs install scripts only for packages the project allows: the native SQLite driver
# compiles (or fetches its prebuilt binary) in its install script.
cat > "$OUT/app/package.json" <<JSON
{
  "name": "canary-flags-app",
  "private": true,
  "allowScripts": { "better-sqlite3": true }
}
JSON
(cd "$OUT/app" && npm install --omit=dev --no-audit --no-fund --silent "$SERVER_TGZ")
echo "release: $OUT/tarballs, $OUT/app/node_modules/canary-flags/bin/canary.js"
