# The Node.js versions opscron supports and CI tests: the oldest (engines.node in package.json)
# and the newest LTS. Sourced by .ci/run, scripts/node-bin.sh and scripts/with-node.sh.
OLDEST_NODE=22.13.0
NEWEST_NODE=24.22.3
