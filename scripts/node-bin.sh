# Sourced by .ci/run and scripts/with-node.sh. node_bin <version> prints the bin directory of
# that Node.js, installed from the npm package node-<os>-<arch> (the official binary,
# repackaged) into .ci/node/<version> (gitignored; kept between runs; OPSCRON_CI_NODE_DIR puts
# it elsewhere) unless it is there already.
source "$(dirname "${BASH_SOURCE[0]}")/node-versions.sh"
nodes=${OPSCRON_CI_NODE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.ci/node}

# The bin directory of Node $1, installed from the npm registry unless it is there already.
node_bin() {
  local version=$1 platform
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) platform=linux-x64 ;;
    Linux-aarch64) platform=linux-arm64 ;;
    Darwin-x86_64) platform=darwin-x64 ;;
    Darwin-arm64) platform=darwin-arm64 ;;
    *) echo "no node-* package for $(uname -s) $(uname -m)" >&2; return 1 ;;
  esac
  local dir="$nodes/$version" bin="node_modules/node-$platform/bin"
  if [ "$("$dir/$bin/node" --version 2>/dev/null)" != "v$version" ]; then
    # Installed beside the cache and moved into place whole, so a run that stops halfway, or
    # another run sharing OPSCRON_CI_NODE_DIR, never sees half a Node.
    local fresh="$dir.installing.$$"
    rm -rf "$fresh" && mkdir -p "$fresh" || return 1
    npm install --prefix "$fresh" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
      "node-$platform@$version" >&2 &&
      [ "$("$fresh/$bin/node" --version 2>/dev/null)" = "v$version" ] || { rm -rf "$fresh"; return 1; }
    rm -rf "$dir" && mv "$fresh" "$dir" || return 1
  fi
  echo "$dir/$bin"
}

