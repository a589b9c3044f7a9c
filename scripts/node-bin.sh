#!/usr/bin/env bash
# Fetches a Node binary from the npm registry and prints the directory holding it, to put first on
# PATH:   PATH="$(bash scripts/node-bin.sh 22 "$dir")":$PATH
#
# The registry's `node-<os>-<arch>` packages carry the official Node builds. `npm pack` only
# downloads the tarball (no install scripts run); the `node` binary is extracted into <dir>
# (default: a new temporary directory). npm itself stays the machine's, and runs on the new Node
# through PATH. Exits non-zero with a one-line reason when anything fails.
set -euo pipefail

major="${1:-22}"
dir="${2:-$(mktemp -d)}"

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) echo "node-bin: no Node package for $(uname -s) on the npm registry" >&2; exit 1 ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "node-bin: no Node package for the $(uname -m) architecture on the npm registry" >&2; exit 1 ;;
esac

pkg="node-$os-$arch@$major"
mkdir -p "$dir"
if ! tarball=$(cd "$dir" && npm pack "$pkg" --ignore-scripts --loglevel=error 2>"$dir/npm-pack.log" | tail -1) || [ ! -f "$dir/$tarball" ]; then
  echo "node-bin: could not download $pkg from the npm registry: $(tail -3 "$dir/npm-pack.log" | tr '\n' ' ')" >&2
  exit 1
fi
if ! tar -xzf "$dir/$tarball" -C "$dir" package/bin/node 2>>"$dir/npm-pack.log"; then
  echo "node-bin: $tarball has no package/bin/node" >&2
  exit 1
fi
rm -f "$dir/$tarball"
if ! version=$("$dir/package/bin/node" --version 2>/dev/null) || [ "${version%%.*}" != "v$major" ]; then
  echo "node-bin: the node binary from $pkg does not run here (got '${version:-nothing}')" >&2
  exit 1
fi
echo "$dir/package/bin"
