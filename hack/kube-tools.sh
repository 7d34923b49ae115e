#!/usr/bin/env bash
# Builds the simulated EKS cluster's binaries for tests from the Go module
# proxy, and installs etcd from Debian:
#   kube-apiserver, kube-scheduler, kube-controller-manager   (k8s.io/kubernetes)
#   kwok                                                       (sigs.k8s.io/kwok)
# Offline apart from the Go module proxy and Debian's apt repositories.
#
# Binaries are cached OUTSIDE the clone, keyed by version, so a fresh clone on
# the same machine (CI) reuses them:
#   $BLUEPRINT_TOOLS_CACHE/kubernetes-<version>/{kube-apiserver,kube-scheduler,kube-controller-manager}
#   $BLUEPRINT_TOOLS_CACHE/kwok-<version>/kwok
# and symlinked into bin/ where internal/kubetest finds them.
#
# Why a throwaway module: k8s.io/kubernetes requires its staging modules
# (k8s.io/api, k8s.io/apiserver, k8s.io/client-go, ...) at v0.0.0 and replaces
# them with ./staging/src/..., which only works inside the kubernetes repo.
# We build in a module that replaces every staging module with its published
# v0.<minor>.<patch> tag. All three components are built by one `go build`,
# so they share the compile of everything common.
#
# Usage: hack/kube-tools.sh [build|prepare]
#   build    (default) build what is not cached, install etcd, link into bin/
#   prepare  only set up the throwaway modules and download what the builds
#            need (hack/prefetch.sh runs it while blueprint compiles)
#
# Environment:
#   KUBE_VERSION           kubernetes version (default v1.37.0; Helm v3.22 uses client-go v0.37)
#   KWOK_VERSION           kwok version (default v0.7.0)
#   BLUEPRINT_TOOLS_CACHE  cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/blueprint/tools)
#   SKIP_ETCD_INSTALL=1    do not try to install etcd
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.37.0}"
KWOK_VERSION="${KWOK_VERSION:-v0.7.0}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${BLUEPRINT_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/blueprint/tools}"
KUBE_DIR="$CACHE/kubernetes-$KUBE_VERSION"
KWOK_DIR="$CACHE/kwok-$KWOK_VERSION"
COMPONENTS=(kube-apiserver kube-scheduler kube-controller-manager)

# shellcheck source=hack/noopt.sh
source "$REPO_ROOT/hack/noopt.sh"

log() { printf '[kube-tools.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

install_etcd() {
  if command -v etcd >/dev/null 2>&1; then
    log "etcd: $(command -v etcd) ($(etcd --version 2>/dev/null | head -1))"
    return 0
  fi
  [[ "${SKIP_ETCD_INSTALL:-}" == 1 ]] && { log "etcd not found and SKIP_ETCD_INSTALL=1"; return 0; }
  local sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      die "etcd is not on PATH and installing it needs root. Run as root, or:
    sudo apt-get update && sudo apt-get install -y etcd-server
(or put any etcd >= 3.4 binary on PATH), then re-run $0"
    fi
  fi
  log "installing etcd-server with apt-get"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends etcd-server >/dev/null
  command -v etcd >/dev/null 2>&1 || die "etcd-server installed but etcd is not on PATH"
}

# align_with REF [KEEP...]: in the throwaway module in the current
# directory, upgrade every module (but the KEEP ones) that REF's build list
# has at a newer version, so packages common to both builds compile to the
# same thing and a cold run compiles them once. Only upgrades, so the tool
# still gets at least the versions its own go.mod asks for.
align_with() {
  local ref=$1 path ver want
  shift
  local -A theirs=() keep=()
  for path in "$@"; do keep[$path]=1; done
  while read -r path ver; do theirs[$path]=$ver; done < <(
    cd "$ref" && GOWORK=off GOFLAGS=-mod=readonly go list -m -f '{{if not .Main}}{{.Path}} {{.Version}}{{end}}' all 2>/dev/null || true)
  local align=()
  while read -r path ver; do
    want=${theirs[$path]:-}
    [[ -n $want && $want != "$ver" && -z ${keep[$path]:-} ]] || continue
    [[ $(printf '%s\n%s\n' "$ver" "$want" | sort -V | tail -1) == "$want" ]] && align+=("$path@$want")
  done < <(go list -m -f '{{if not .Main}}{{.Path}} {{.Version}}{{end}}' all)
  if [[ ${#align[@]} -gt 0 ]]; then
    local what=${ref#"$REPO_ROOT"/}
    [[ $ref == "$REPO_ROOT" ]] && what="blueprint's go.mod"
    log "aligning ${#align[@]} modules with $what: ${align[*]}"
    go get "${align[@]}"
  fi
}

have_kube() {
  local c
  for c in "${COMPONENTS[@]}"; do
    [[ -x "$KUBE_DIR/$c" ]] || return 1
  done
  [[ "$("$KUBE_DIR/kube-apiserver" --version 2>/dev/null | awk '{print $2}')" == "$KUBE_VERSION" ]]
}

# The throwaway modules' set-up (go.mod, go get, alignment) is split from
# the compile: prepare_kube and prepare_kwok only download (network, no
# compiling), so hack/prefetch.sh runs them while blueprint compiles. Each
# leaves a stamp of its inputs, so the build's own call is then a no-op.
prepared() { # dir key: true when dir was prepared from key
  [[ -f $1/.prepared && $(cat "$1/.prepared") == "$2" ]]
}

kube_build_dir() { echo "$CACHE/build/kubernetes-$KUBE_VERSION"; }

prepare_kube() {
  [[ "$KUBE_VERSION" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || die "KUBE_VERSION must look like v1.N.M, got $KUBE_VERSION"
  local minor="${BASH_REMATCH[1]}" patch="${BASH_REMATCH[2]}"
  local staging_version="v0.${minor}.${patch}"
  local build key
  build=$(kube_build_dir)
  key="$KUBE_VERSION $(sha256sum "$REPO_ROOT/go.mod" | cut -d' ' -f1)"
  prepared "$build" "$key" && return 0
  mkdir -p "$build"
  (
    cd "$build"
    export GOWORK=off GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
    log "fetching k8s.io/kubernetes@$KUBE_VERSION go.mod from the module proxy"
    kube_mod="$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
    [[ -f "$kube_mod" ]] || die "could not download k8s.io/kubernetes@$KUBE_VERSION go.mod"
    staging="$(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#\1#p' "$kube_mod" | sort -u)"
    [[ -n "$staging" ]] || die "found no staging replaces in $kube_mod"
    go_directive="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$kube_mod" | head -1)"
    {
      echo "// Generated by hack/kube-tools.sh; throwaway module to build kubernetes $KUBE_VERSION components."
      echo "module blueprint.local/kube-build"
      echo
      echo "go ${go_directive:-1.26}"
      echo
      echo "require k8s.io/kubernetes $KUBE_VERSION"
      echo
      echo "replace ("
      for m in $staging; do echo "	$m => $m $staging_version"; done
      echo ")"
    } > go.mod.new
    if ! cmp -s go.mod.new go.mod 2>/dev/null; then mv go.mod.new go.mod; rm -f go.sum; else rm -f go.mod.new; fi
    go mod download k8s.io/kubernetes
    for c in "${COMPONENTS[@]}"; do
      go get "k8s.io/kubernetes/cmd/$c@$KUBE_VERSION"
    done
    # Where blueprint's go.mod has a newer version of a module this build
    # uses (golang.org/x/net, x/text, ...), build with blueprint's: then the
    # packages both compile (k8s.io/api, apimachinery, client-go, ... 458 of
    # them at v1.37.0) are the same compile, done once in a cold run (with
    # CGO_ENABLED=0 and no -trimpath on both sides, as the Makefile builds).
    # The staging modules stay at their tag. go get loads the package
    # graph, so every module zip the build needs is downloaded by now.
    align_with "$REPO_ROOT" $staging
  )
  printf '%s\n' "$key" > "$build/.prepared"
}

build_kube() {
  if have_kube; then
    log "kubernetes $KUBE_VERSION components cached in $KUBE_DIR"
    return 0
  fi
  prepare_kube
  [[ "$KUBE_VERSION" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]]
  local minor="${BASH_REMATCH[1]}"
  mkdir -p "$KUBE_DIR"
  (
    cd "$(kube_build_dir)"
    export GOWORK=off GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
    pkgs=()
    for c in "${COMPONENTS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
    pkg=k8s.io/component-base/version
    ldflags="-s -w -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean \
      -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
    log "building ${COMPONENTS[*]} $KUBE_VERSION (cold: many minutes on 2 cores)"
    start=$(date +%s)
    tmp="$KUBE_DIR/.tmp.$$"
    mkdir -p "$tmp"
    CGO_ENABLED=0 go build -ldflags "$ldflags" -o "$tmp/" "${pkgs[@]}"
    for c in "${COMPONENTS[@]}"; do mv -f "$tmp/$c" "$KUBE_DIR/$c"; done
    rmdir "$tmp"
    log "built kubernetes $KUBE_VERSION components in $(( $(date +%s) - start ))s"
  )
}

kwok_build_dir() { echo "$CACHE/build/kwok-$KWOK_VERSION"; }

# Should the aligned module not resolve or build, kwok is built from its
# own go.mod.
prepare_kwok() {
  local build key ref="$REPO_ROOT/tools/argovalidate"
  build=$(kwok_build_dir)
  key="$KWOK_VERSION $( [[ -f $ref/go.mod ]] && sha256sum "$ref/go.mod" | cut -d' ' -f1)"
  prepared "$build" "$key" && return 0
  mkdir -p "$build"
  rm -f "$build/.prepared"
  # Chained with &&: callers test this function's status, which turns
  # off set -e inside it, and a failed step must not leave a stamp.
  (
    cd "$build" &&
    export GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" &&
    printf '// Generated by hack/kube-tools.sh; throwaway module to build kwok %s.\nmodule blueprint.local/kwok-build\n\ngo 1.24.0\n' "$KWOK_VERSION" > go.mod &&
    rm -f go.sum &&
    go get "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" &&
    # In a throwaway module aligned with Argo's tools/argovalidate (kwok
    # v0.7.0 uses client-go v0.33.0, Argo v0.33.1), so a cold run compiles
    # their common Kubernetes client packages once; make builds Argo's
    # tools first. OpenTelemetry stays at kwok's versions: newer otelgrpc
    # dropped UnaryClientInterceptor, which k8s.io/cri-client v0.33 calls.
    if [[ -f "$ref/go.mod" ]]; then
      align_with "$ref" $(go list -m -f '{{.Path}}' all | sed -n '/^go\.opentelemetry\.io\//p')
    fi
  ) || return 1
  printf '%s\n' "$key" > "$build/.prepared"
}

build_kwok() {
  if [[ -x "$KWOK_DIR/kwok" ]]; then
    log "kwok $KWOK_VERSION cached in $KWOK_DIR"
    return 0
  fi
  mkdir -p "$KWOK_DIR/.tmp"
  log "building kwok $KWOK_VERSION"
  start=$(date +%s)
  if ! { prepare_kwok && (
    cd "$(kwok_build_dir)"
    export GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
    # Without optimizations, as Argo's tools (hack/noopt.sh), so the
    # packages they share are one compile.
    noopt_gcflags sigs.k8s.io/kwok/cmd/kwok
    go build "${NOOPT[@]}" -ldflags "-s -w" -o "$KWOK_DIR/.tmp/kwok" sigs.k8s.io/kwok/cmd/kwok
  ); }; then
    log "aligned kwok build failed; building kwok $KWOK_VERSION from its own go.mod"
    GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 GOBIN="$KWOK_DIR/.tmp" \
      go install -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  fi
  mv -f "$KWOK_DIR/.tmp/kwok" "$KWOK_DIR/kwok"
  rmdir "$KWOK_DIR/.tmp"
  log "built kwok in $(( $(date +%s) - start ))s"
}

link() {
  mkdir -p "$REPO_ROOT/bin"
  for c in "${COMPONENTS[@]}"; do ln -sfn "$KUBE_DIR/$c" "$REPO_ROOT/bin/$c"; done
  ln -sfn "$KWOK_DIR/kwok" "$REPO_ROOT/bin/kwok"
}

mkdir -p "$CACHE"
case ${1:-build} in
prepare)
  # Downloads only (hack/prefetch.sh), under the builds' lock: a build
  # that starts meanwhile waits, then finds its module prepared.
  exec 9>"$CACHE/.lock"
  flock 9
  # if, not ||: set -e must stay on inside prepare_kube.
  if ! have_kube; then prepare_kube; fi
  if [[ ! -x "$KWOK_DIR/kwok" ]]; then
    prepare_kwok || log "kwok's aligned module did not resolve; its build will fall back to kwok's go.mod"
  fi
  exit 0
  ;;
build) ;;
*) die "usage: $0 [build|prepare]" ;;
esac
install_etcd
# One build at a time per cache: parallel sessions or clones wait for it
# instead of compiling the same thing twice.
exec 9>"$CACHE/.lock"
flock 9
build_kube
build_kwok
link
log "done: $("$REPO_ROOT/bin/kube-apiserver" --version), kwok $KWOK_VERSION, etcd $(etcd --version 2>/dev/null | head -1 | awk '{print $3}')"
