#!/bin/sh
# Install the peer servers for `make bench` (bench/peers: VS Code's Markdown language
# server, markdown-it, vscode-jsonrpc) exactly as package-lock.json pins them.
# Idempotent: nothing is done when node_modules already matches the lock file.
set -eu
cd "$(dirname "$0")/../bench/peers"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "setup-bench-peers: node and npm are needed for the peer benchmark (Node 20 or newer); skipping it" >&2
    exit 0
fi
stamp=node_modules/.package-lock.json
if [ -f "$stamp" ] && [ -d node_modules/vscode-markdown-languageserver ] && [ ! package-lock.json -nt "$stamp" ]; then
    exit 0
fi
# The server declares engines node>=22 but runs on Node 20: the engine warning is expected.
npm ci --no-audit --no-fund --loglevel=error
