#!/usr/bin/env bash
# Builds tools/argovalidate (Argo Workflows' own offline validation, from
# github.com/argoproj/argo-workflows/v4 on the Go module proxy) into
# bin/argovalidate for internal/argo. Offline apart from the Go module proxy.
#
# tools/argovalidate is its own Go module so Argo's large dependency graph
# never enters blueprint's go.mod. Idempotent: the build is skipped when
# bin/argovalidate was built from the current tools/argovalidate sources
# (a hash of them and of the Go version is kept next to the binary).
#
# Usage: hack/argovalidate.sh [build|prepare|test]
#   build    (default) build bin/argovalidate unless it is up to date
#   prepare  only download the modules the tool and its tests need
#            (hack/prefetch.sh)
#   test     run the tool's own tests (hack/test.sh)
# Compiled without optimizations (hack/noopt.sh).
#
# Environment:
#   FORCE=1   rebuild even when up to date
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$REPO_ROOT/tools/argovalidate"
BIN="$REPO_ROOT/bin/argovalidate"
STAMP="$REPO_ROOT/bin/.argovalidate.hash"

log() { printf '[argovalidate.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v go >/dev/null 2>&1 || die "go is not on PATH"
[[ -f "$SRC/go.mod" ]] || die "$SRC/go.mod is missing"

# Keep the tool's module independent of the repo's go.mod/go.work and of any
# GOFLAGS (-mod=vendor in the environment would break it).
export GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"

source_hash() {
  (
    cd "$SRC"
    # Every file of the module that affects the binary (tests excluded), in a
    # stable order, plus the toolchain and the compile flags (hack/noopt.sh)
    # that build it: a binary built with other flags is rebuilt, so the
    # tool's tests (`test`, same flags) reuse its compiles.
    find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) ! -name '*_test.go' -print0 \
      | LC_ALL=C sort -z | xargs -0 sha256sum
    sha256sum "$REPO_ROOT/hack/noopt.sh" | cut -d' ' -f1
    go env GOVERSION GOOS GOARCH
  ) | sha256sum | cut -d' ' -f1
}

# shellcheck source=hack/noopt.sh
source "$REPO_ROOT/hack/noopt.sh"

case ${1:-build} in
build | prepare) ;;
test)
  # The tool's own tests (hack/test.sh), compiled with the build's flags
  # so they reuse its compiles.
  cd "$SRC"
  noopt_gcflags -test .
  exec go test "${NOOPT[@]}" -timeout "${TEST_TIMEOUT:-60m}" ./...
  ;;
*) die "usage: $0 [build|prepare|test]" ;;
esac
if [[ ${1:-build} == prepare ]]; then
  # Downloads only (hack/prefetch.sh): go list loads the package graph of
  # the tool and its tests, which fetches every module zip they need.
  ( cd "$SRC" && go list -deps -test . >/dev/null ) || die "go list in tools/argovalidate failed"
  exit 0
fi

want="$(source_hash)"
if [[ "${FORCE:-}" != 1 && -x "$BIN" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  log "bin/argovalidate is up to date ($want); nothing to build"
  exit 0
fi

mkdir -p "$REPO_ROOT/bin"
log "building bin/argovalidate from tools/argovalidate (Argo Workflows $(sed -n 's#^[[:space:]]*github.com/argoproj/argo-workflows/v4 \(v[^[:space:]]*\).*#\1#p' "$SRC/go.mod"))"
start=$(date +%s)
# Build to a temporary name and rename, so an interrupted build never leaves a
# half-written binary that looks up to date.
tmp="$BIN.tmp.$$"
trap 'rm -f "$tmp"' EXIT
( cd "$SRC" && noopt_gcflags . && go build "${NOOPT[@]}" -o "$tmp" . ) || die "go build in tools/argovalidate failed (see above)"
mv -f "$tmp" "$BIN"
printf '%s\n' "$want" >"$STAMP"
log "built bin/argovalidate in $(( $(date +%s) - start ))s"
