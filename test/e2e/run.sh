#!/usr/bin/env bash
# `npm run test:e2e`: Loopguard in real VS Code. Installs the tools (idempotent, outside the clone), builds,
# packages the VSIX, then runs
#   1. the mocha suite inside a real extension host (run-mocha.mjs: desktop VS Code or code-server), and
#   2. the UI check in a browser against the installed VSIX (ui.mjs).
# Usage: test/e2e/run.sh [--negative] [mocha|ui|all]
# Env: LOOPGUARD_VSCODE=auto|desktop|code-server, LOOPGUARD_E2E_NEGATIVE=1 (same as --negative: the server
#      disabled / extension not installed — the run must FAIL), LOOPGUARD_E2E_TOOLS (tools folder),
#      LOOPGUARD_E2E_OUT (artifacts, default /tmp/loopguard-e2e). Exit code non-zero when anything fails.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
WHAT=all
for arg in "$@"; do
  case "$arg" in
    --negative) export LOOPGUARD_E2E_NEGATIVE=1 ;;
    mocha|ui|all) WHAT="$arg" ;;
    *) echo "usage: $0 [--negative] [mocha|ui|all]" >&2; exit 2 ;;
  esac
done
export LOOPGUARD_E2E_NEGATIVE="${LOOPGUARD_E2E_NEGATIVE:-}"
export LOOPGUARD_E2E_TOOLS="${LOOPGUARD_E2E_TOOLS:-$HOME/.cache/loopguard-e2e}"
export LOOPGUARD_E2E_OUT="${LOOPGUARD_E2E_OUT:-/tmp/loopguard-e2e}"
OUT="$LOOPGUARD_E2E_OUT"
mkdir -p "$OUT"
# only what an earlier run left (the folder may be shared with other things)
rm -rf "$OUT"/ui "$OUT"/workspace-* "$OUT"/mocha-* "$OUT"/code-shim-* "$OUT"/*.log "$OUT"/*.vsix "$OUT"/mocha-result.json
START=$(date +%s)
step() { echo; echo "=== [e2e $(( $(date +%s) - START ))s] $*"; }
declare -a SUMMARY=()
FAILED=0
record() { # name rc
  if [ "$2" = 0 ]; then SUMMARY+=("PASS  $1"); else SUMMARY+=("FAIL  $1 (exit $2)"); FAILED=1; fi
}
finish() {
  echo
  echo "=== e2e summary ($(( $(date +%s) - START ))s; artifacts in $OUT)"
  for line in "${SUMMARY[@]}"; do echo "  $line"; done
  [ -f "$OUT/mocha.log" ] && grep -m1 -o 'activation: .*' "$OUT/mocha.log" | sed 's/^/  /'
  [ -f "$OUT/package.log" ] && grep -m1 -o 'Packaged: .*' "$OUT/package.log" | sed 's/^/  /'
  local passes=0 failures=0 f
  for f in "$OUT/mocha-result.json" "$OUT/ui/ui-result.json"; do
    [ -f "$f" ] || continue
    passes=$(( passes + $(node -p "require('$f').passes") ))
    failures=$(( failures + $(node -p "require('$f').failures") ))
  done
  [ "$FAILED" = 0 ] || [ "$failures" -gt 0 ] || failures=1
  if [ -n "$LOOPGUARD_E2E_NEGATIVE" ]; then
    echo "  (negative control: the server was disabled / the extension not installed, so this run is expected to FAIL)"
  fi
  echo "e2e: $passes passed, $failures failed"
  exit "$FAILED"
}

step "tools (Debian + npm, into $LOOPGUARD_E2E_TOOLS)"
bash "$HERE/install.sh" 2>&1 | tee "$OUT/install.log" | grep -v '^npm warn'
rc=${PIPESTATUS[0]}; record "install tools" "$rc"; [ "$rc" = 0 ] || finish

cd "$ROOT"
step "build: npm run build"
npm run --silent build > "$OUT/build.log" 2>&1; rc=$?
record "npm run build" "$rc"; [ "$rc" = 0 ] || { cat "$OUT/build.log"; finish; }

step "package: npm run package"
npm run --silent package > "$OUT/package.log" 2>&1; rc=$?
VERSION=$(node -p "require('./package.json').version")
VSIX="$ROOT/loopguard-$VERSION.vsix"
cat "$OUT/package.log"
if [ "$rc" = 0 ] && [ -f "$VSIX" ]; then
  echo "VSIX: $VSIX ($(node -p "(require('fs').statSync('$VSIX').size / 1024).toFixed(0)") KiB)"
  cp "$VSIX" "$OUT/"
else
  [ "$rc" = 0 ] && rc=1
fi
record "npm run package -> loopguard-$VERSION.vsix" "$rc"; [ "$rc" = 0 ] || finish

# dist/ now holds the minified production build, which is what the VSIX ships; the development build is
# restored afterwards (source maps in stack traces) — the suite below runs against the shipped code
step "bundle the extension-host suite"
node "$HERE/build-suite.mjs" > "$OUT/build-suite.log" 2>&1; rc=$?
record "bundle test/e2e/suite" "$rc"; [ "$rc" = 0 ] || { cat "$OUT/build-suite.log"; finish; }

# each check gets a fresh copy of the workspace template (the tests edit and save files)
new_workspace() {
  # a plain folder name: it is the title shown in the workbench (and in the screenshots)
  local ws; ws="$(mktemp -d "$OUT/workspace-$1-XXXXXX")/my-service"
  mkdir -p "$ws"
  cp -R "$HERE/workspace/." "$ws/"
  if [ -n "$LOOPGUARD_E2E_NEGATIVE" ]; then
    printf '{\n  "loopguard.enable": false\n}\n' > "$ws/.vscode/settings.json"
  fi
  echo "$ws"
}

# the mocha suite opens a multi-root workspace: the template as its first folder and a second folder with
# its own settings (workspace-second/), through a .code-workspace file next to them
multi_root() {
  local dir; dir="$(dirname "$1")"
  mkdir -p "$dir/second-service"
  cp -R "$HERE/workspace-second/." "$dir/second-service/"
  printf '{\n  "folders": [{ "path": "my-service" }, { "path": "second-service" }]\n}\n' > "$dir/services.code-workspace"
  echo "$dir/services.code-workspace"
}

if [ "$WHAT" = all ] || [ "$WHAT" = mocha ]; then
  step "mocha suite in the real extension host"
  node "$HERE/run-mocha.mjs" "$(multi_root "$(new_workspace mocha)")" 2>&1 | tee "$OUT/mocha.log"
  record "mocha suite in the extension host" "${PIPESTATUS[0]}"
fi
if [ "$WHAT" = all ] || [ "$WHAT" = ui ]; then
  step "UI check in the browser (VSIX installed with --install-extension)"
  node "$HERE/ui.mjs" "$VSIX" "$(new_workspace ui)" 2>&1 | tee "$OUT/ui.log"
  record "UI check (squiggles, Problems, hover, Ctrl+. quick fix, save)" "${PIPESTATUS[0]}"
fi

step "restore the development build"
npm run --silent build > "$OUT/build-dev.log" 2>&1 || { cat "$OUT/build-dev.log"; record "restore development build" 1; }
finish
