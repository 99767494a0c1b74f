#!/usr/bin/env bash
# Installs what the VS Code end-to-end test (tests/editors/test_code_server_e2e.py) needs:
# code-server (VS Code served to a browser) and playwright-core, driving Debian's Chromium.
# Idempotent: a stamp file per step means a second run does nothing and takes ~0 s.
#
# Why each step:
# - apt: libkrb5-dev (headers for code-server's native modules), ripgrep (see below), chromium.
# - code-server 4.100.3 is the last line that runs on node 20 (4.139 wants node 24).
# - its @vscode/ripgrep dependency downloads rg from GitHub, which CI cannot reach; it first
#   looks in $TMPDIR/vscode-ripgrep-cache-<its version>/ for the release tarball, so we put a
#   tarball holding Debian's /usr/bin/rg there for every version it might be.
# - node-pty's install runs `npx node-gyp`, which npm refuses unless npm_config_yes=true.
# - npm 11 skips dependencies' install scripts unless allowed; code-server's postinstall runs
#   further `npm install`s inside itself, so the permission goes through the environment.
#   Every script here comes from the pinned code-server/playwright-core releases.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
E2E=${CLM_E2E_DIR:-$ROOT/editor-clients/vscode/.e2e}
CODE_SERVER_VERSION=4.100.3
PLAYWRIGHT_VERSION=1.52.0
mkdir -p "$E2E"

need_apt=()
command -v rg >/dev/null || need_apt+=(ripgrep)
command -v chromium >/dev/null || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "setup-vscode-e2e: apt-get install ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -f "$E2E/.code-server-$CODE_SERVER_VERSION" ]; then
  TMP_CACHE="$E2E/tmp"
  mkdir -p "$TMP_CACHE/rg/x"
  cp /usr/bin/rg "$TMP_CACHE/rg/x/rg"
  tar -C "$TMP_CACHE/rg/x" -czf "$TMP_CACHE/rg/rg.tar.gz" rg
  for minor in 15 16 17 18; do
    for patch in $(seq 0 20); do
      dir="$TMP_CACHE/vscode-ripgrep-cache-1.$minor.$patch"
      mkdir -p "$dir"
      for rgv in v13.0.0-10 v13.0.0-13 v13.0.0-4; do
        cp "$TMP_CACHE/rg/rg.tar.gz" "$dir/ripgrep-$rgv-x86_64-unknown-linux-musl.tar.gz"
      done
    done
  done
  [ -f "$E2E/package.json" ] || echo '{"name":"clm-e2e","private":true}' > "$E2E/package.json"
  echo "setup-vscode-e2e: npm install code-server@$CODE_SERVER_VERSION (a few minutes the first time)"
  (cd "$E2E" && export TMPDIR="$TMP_CACHE" npm_config_yes=true npm_config_unsafe_perm=true \
      npm_config_dangerously_allow_all_scripts=true &&
    npm install --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_VERSION" &&
    if [ ! -d node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin ]; then
      npm rebuild code-server argon2  # an npm that skipped the scripts on install
    fi)
  # The postinstall builds VS Code's own dependencies; without them code-server cannot start.
  test -d "$E2E/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin" || {
    echo "setup-vscode-e2e: code-server's postinstall did not finish (see the npm output above)" >&2
    exit 1
  }
  touch "$E2E/.code-server-$CODE_SERVER_VERSION"
fi
echo "setup-vscode-e2e: ready in $E2E"
