#!/usr/bin/env bash
# install-test-tools.sh — install every tool the end-to-end tests (test/e2e) and the benchmark (bench/) need,
# at pinned versions.
#
# Used by `make test` and therefore by CI, which runs on a fresh Debian 12 machine (root, Docker Engine
# running, Go at /usr/local/go/bin, only Debian apt and the Go module proxy reachable).
#
# Idempotent: a tool that is already present at the pinned version is left alone, so a second run takes
# about a second. Every action is printed; anything that cannot be installed makes the script exit non-zero.
#
#   scripts/install-test-tools.sh            install / check everything
#   scripts/install-test-tools.sh --check    only report what is missing (exit 1 if anything is), change nothing
#
# Where things go:
#   * Debian packages (unpinned: whatever Debian 12 ships, security updates included):
#       skopeo podman buildah containerd runc uidmap
#       docker-registry (CNCF Distribution 2.8.2, the peer bench/ compares berth with; the benchmark runs
#       its command `docker-registry serve` itself on a free port; the package's service is not used)
#       postgresql (internal/testutil/pgtest runs a throwaway cluster from /usr/lib/postgresql/*/bin;
#       installed only when no pg_ctl is there; Debian's own cluster is not used)
#   * Go tools, pinned, into $GOBIN (default $(go env GOPATH)/bin):
#       crane, oras, regctl, cosign, notation
#       versitygw (a real S3 server for the S3 blob store's tests, internal/testutil/s3test)
#   * the OCI distribution-spec conformance suite, pinned, built into
#       $OCI_CONFORMANCE_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/oci-conformance)/conformance-<version>
#     test/e2e/conformance_test.go looks for it there (and builds it the same way if it is missing).
#
# Cold timings on this machine kind (2 cores, empty module and build caches), from the team's bench notes:
#   apt packages ~40 s, crane ~10 s, oras ~11 s, regctl ~15 s, cosign ~190 s, notation ~15 s,
#   versitygw ~75 s, conformance ~5 s. Warm (everything present): ~1 s.
#
# The Go module proxy here refuses some module versions (HTTP 403) and some version *lists*; the proxy
# does not fall back to direct on 403. Therefore every version below is pinned exactly (never @latest),
# and notation and the conformance suite are built inside a throwaway module with `go get mod@ver` +
# `go build`, which never asks the proxy for the version list.
set -euo pipefail

# ---- pinned versions (change them here, nowhere else) -------------------------------------------
CRANE_PKG=github.com/google/go-containerregistry/cmd/crane
CRANE_MOD=github.com/google/go-containerregistry
CRANE_VER=v0.22.1
ORAS_PKG=oras.land/oras/cmd/oras
ORAS_MOD=oras.land/oras
ORAS_VER=v1.3.6
REGCTL_PKG=github.com/regclient/regclient/cmd/regctl
REGCTL_MOD=github.com/regclient/regclient
REGCTL_VER=v0.11.7
COSIGN_PKG=github.com/sigstore/cosign/v2/cmd/cosign
COSIGN_MOD=github.com/sigstore/cosign/v2
COSIGN_VER=v2.6.5
NOTATION_PKG=github.com/notaryproject/notation/cmd/notation
NOTATION_MOD=github.com/notaryproject/notation
NOTATION_VER=v1.3.2
VERSITYGW_PKG=github.com/versity/versitygw/cmd/versitygw
VERSITYGW_MOD=github.com/versity/versitygw
VERSITYGW_VER=v1.8.0
CONFORMANCE_PKG=github.com/opencontainers/distribution-spec/conformance
CONFORMANCE_VER=v0.0.0-20260831232431-97274622c111
# Debian package -> the commands the tests run from it. A package counts as present when it is installed
# or when all its commands are already on PATH (e.g. containerd and runc from Docker's containerd.io,
# which conflicts with Debian's containerd package).
declare -A APT_COMMANDS=(
  [skopeo]="skopeo"
  [podman]="podman"
  [buildah]="buildah"
  [containerd]="containerd ctr"
  [runc]="runc"
  [uidmap]="newuidmap newgidmap"
  [docker-registry]="docker-registry"
)
APT_PACKAGES=(skopeo podman buildah containerd runc uidmap docker-registry)
# ---------------------------------------------------------------------------------------------------

CHECK_ONLY=0
case "${1:-}" in
  "") ;;
  --check) CHECK_ONLY=1 ;;
  -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

export PATH="$PATH:/usr/local/go/bin:/usr/local/sbin:/usr/sbin:/sbin"
START=$(date +%s)
log()  { printf '[install-test-tools] %s\n' "$*"; }
die()  { printf '[install-test-tools] ERROR: %s\n' "$*" >&2; exit 1; }
MISSING=()

command -v go >/dev/null 2>&1 || die "go not found on PATH or in /usr/local/go/bin; install Go first"
GOBIN_DIR=$(go env GOBIN)
[ -n "$GOBIN_DIR" ] || GOBIN_DIR="$(go env GOPATH)/bin"
export GOBIN="$GOBIN_DIR"
export PATH="$PATH:$GOBIN_DIR"
CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}
CONFORMANCE_DIR=${OCI_CONFORMANCE_CACHE:-$CACHE_ROOT/oci-conformance}
CONFORMANCE_BIN=$CONFORMANCE_DIR/conformance-$CONFORMANCE_VER
log "go $(go env GOVERSION); Go tools go to $GOBIN_DIR; conformance suite to $CONFORMANCE_BIN"

# Go builds must not pick up the caller's module (we may be run from inside the berth checkout).
export GOWORK=off
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

# ---- apt --------------------------------------------------------------------------------------------
SUDO=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); fi
fi
APT_UPDATED=0

# apt_run ARGS...: run apt-get, retrying for up to ~5 minutes while another apt/dpkg holds the lock.
# Any other failure is reported at once with apt's own output.
apt_run() {
  local out rc i
  for i in $(seq 1 60); do
    set +e
    out=$("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=60 "$@" 2>&1)
    rc=$?
    set -e
    if [ $rc -eq 0 ]; then return 0; fi
    if grep -qiE 'could not get lock|unable to acquire the dpkg frontend lock|unable to lock|is another process using it|dpkg was interrupted' <<<"$out"; then
      log "apt is busy (attempt $i/60), retrying in 5 s"
      if grep -qi 'dpkg was interrupted' <<<"$out"; then "${SUDO[@]}" dpkg --configure -a || true; fi
      sleep 5
      continue
    fi
    printf '%s\n' "$out" | tail -n 30 >&2
    return $rc
  done
  printf '%s\n' "$out" | tail -n 30 >&2
  return 1
}

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
pkg_version()   { dpkg-query -W -f='${Version}' "$1" 2>/dev/null; }

install_apt() {
  local need=() p c all
  for p in "${APT_PACKAGES[@]}"; do
    if pkg_installed "$p"; then
      log "apt $p $(pkg_version "$p") present"
      continue
    fi
    all=1
    for c in ${APT_COMMANDS[$p]}; do command -v "$c" >/dev/null 2>&1 || all=0; done
    if [ $all = 1 ]; then
      log "$p: package not installed, but ${APT_COMMANDS[$p]} found on PATH ($(command -v "${APT_COMMANDS[$p]%% *}")); using them"
    else
      need+=("$p")
    fi
  done
  [ ${#need[@]} -eq 0 ] && return 0
  if [ $CHECK_ONLY = 1 ]; then MISSING+=("${need[@]}"); return 0; fi
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; this script supports Debian/Ubuntu only"
  if [ "$(id -u)" != 0 ] && [ ${#SUDO[@]} -eq 0 ]; then die "need root (or sudo) to install: ${need[*]}"; fi
  if [ $APT_UPDATED = 0 ]; then
    log "apt-get update"
    apt_run update -q || die "apt-get update failed"
    APT_UPDATED=1
  fi
  local s; s=$(date +%s)
  log "apt-get install ${need[*]}"
  apt_run install -y -q "${need[@]}" || die "apt-get install ${need[*]} failed"
  for p in "${need[@]}"; do
    pkg_installed "$p" || die "apt package $p is still not installed after apt-get install"
    log "apt $p $(pkg_version "$p") installed"
  done
  log "apt packages installed in $(( $(date +%s) - s )) s"
}

# ---- PostgreSQL (internal/testutil/pgtest starts a throwaway cluster from its binaries) --------------
# Only the server binaries are used (/usr/lib/postgresql/*/bin); Debian's own cluster is left alone.
install_postgres() {
  local b
  for b in /usr/lib/postgresql/*/bin/pg_ctl; do
    if [ -x "$b" ]; then log "postgresql present ($b)"; return 0; fi
  done
  if [ $CHECK_ONLY = 1 ]; then MISSING+=(postgresql); return 0; fi
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install PostgreSQL by hand"
  if [ $APT_UPDATED = 0 ]; then
    log "apt-get update"
    apt_run update -q || die "apt-get update failed"
    APT_UPDATED=1
  fi
  log "apt-get install postgresql"
  apt_run install -y -q postgresql || die "apt-get install postgresql failed"
  compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || die "postgresql installed but no pg_ctl under /usr/lib/postgresql"
  log "apt postgresql $(pkg_version postgresql) installed"
}

# ---- Go tools ---------------------------------------------------------------------------------------
# bin_mod_version BIN MODULE: the version of MODULE that BIN was built from ("" if unknown).
bin_mod_version() {
  go version -m "$1" 2>/dev/null | awk -v m="$2" '($1 == "mod" || $1 == "dep") && $2 == m { print $3; exit }'
}

# go_tool NAME PKG MODULE VERSION MODE: make $GOBIN/NAME be PKG built from MODULE@VERSION.
#   MODE install: `go install PKG@VERSION`
#   MODE module:  build in a throwaway module (for modules whose version list the proxy refuses)
go_tool() {
  local name=$1 pkg=$2 mod=$3 ver=$4 mode=$5 bin have s
  bin=$GOBIN_DIR/$name
  if [ -x "$bin" ]; then
    have=$(bin_mod_version "$bin" "$mod")
    if [ "$have" = "$ver" ]; then log "$name $ver present ($bin)"; return 0; fi
    log "$name at $bin is ${have:-of unknown version}, want $ver"
  fi
  if [ $CHECK_ONLY = 1 ]; then MISSING+=("$name@$ver"); return 0; fi
  s=$(date +%s)
  mkdir -p "$GOBIN_DIR"
  case $mode in
    install)
      log "go install $pkg@$ver"
      (cd "$SCRATCH" && go install "$pkg@$ver") || die "go install $pkg@$ver failed"
      ;;
    module)
      local d=$SCRATCH/build-$name
      log "building $pkg from $mod@$ver in a throwaway module"
      mkdir -p "$d"
      printf 'module local/build-%s\n\ngo 1.24\n' "$name" > "$d/go.mod"
      (cd "$d" && go get "$pkg@$ver" && go build -o "$bin.tmp" "$pkg" && mv -f "$bin.tmp" "$bin") ||
        { rm -f "$bin.tmp"; die "building $name from $mod@$ver failed"; }
      ;;
  esac
  have=$(bin_mod_version "$bin" "$mod")
  [ "$have" = "$ver" ] || die "$name was built but reports module version '${have:-none}', want $ver"
  log "$name $ver installed in $(( $(date +%s) - s )) s"
}

install_conformance() {
  if [ -x "$CONFORMANCE_BIN" ] && [ "$(bin_mod_version "$CONFORMANCE_BIN" "$CONFORMANCE_PKG")" = "$CONFORMANCE_VER" ]; then
    log "conformance $CONFORMANCE_VER present ($CONFORMANCE_BIN)"
    return 0
  fi
  if [ $CHECK_ONLY = 1 ]; then MISSING+=("conformance@$CONFORMANCE_VER"); return 0; fi
  local s d
  s=$(date +%s)
  d=$SCRATCH/build-conformance
  log "building the OCI conformance suite $CONFORMANCE_PKG@$CONFORMANCE_VER"
  mkdir -p "$d" "$CONFORMANCE_DIR"
  printf 'module local/oci-conformance\n\ngo 1.24\n' > "$d/go.mod"
  (cd "$d" && go get "$CONFORMANCE_PKG@$CONFORMANCE_VER" &&
     go build -o "$CONFORMANCE_BIN.tmp" "$CONFORMANCE_PKG" && mv -f "$CONFORMANCE_BIN.tmp" "$CONFORMANCE_BIN") ||
    { rm -f "$CONFORMANCE_BIN.tmp"; die "building the conformance suite failed"; }
  [ "$(bin_mod_version "$CONFORMANCE_BIN" "$CONFORMANCE_PKG")" = "$CONFORMANCE_VER" ] ||
    die "conformance binary does not report version $CONFORMANCE_VER"
  log "conformance $CONFORMANCE_VER built in $(( $(date +%s) - s )) s"
}

# ---- Docker Engine (not installed here: it must already run on the machine) --------------------------
check_docker() {
  if ! command -v docker >/dev/null 2>&1; then
    if [ $CHECK_ONLY = 1 ]; then MISSING+=("docker"); return 0; fi
    die "docker CLI not found; the e2e tests need a running Docker Engine (apt-get install docker.io, then start dockerd)"
  fi
  local v
  if ! v=$(docker version --format '{{.Server.Version}}' 2>/dev/null) || [ -z "$v" ]; then
    if [ $CHECK_ONLY = 1 ]; then MISSING+=("docker-engine"); return 0; fi
    die "the Docker Engine is not reachable (docker version failed); the e2e tests need it running"
  fi
  log "docker engine $v reachable (client $(docker version --format '{{.Client.Version}}' 2>/dev/null))"
}

install_apt
install_postgres
go_tool crane    "$CRANE_PKG"    "$CRANE_MOD"    "$CRANE_VER"    install
go_tool oras     "$ORAS_PKG"     "$ORAS_MOD"     "$ORAS_VER"     install
go_tool regctl   "$REGCTL_PKG"   "$REGCTL_MOD"   "$REGCTL_VER"   install
go_tool cosign   "$COSIGN_PKG"   "$COSIGN_MOD"   "$COSIGN_VER"   install
go_tool notation "$NOTATION_PKG" "$NOTATION_MOD" "$NOTATION_VER" module
go_tool versitygw "$VERSITYGW_PKG" "$VERSITYGW_MOD" "$VERSITYGW_VER" install
install_conformance
check_docker

if [ ${#MISSING[@]} -gt 0 ]; then
  log "missing: ${MISSING[*]}"
  exit 1
fi
# Final sanity check: every command the tests run must resolve now.
for c in skopeo podman buildah containerd ctr runc newuidmap docker-registry crane oras regctl cosign notation versitygw docker; do
  command -v "$c" >/dev/null 2>&1 || die "$c is still not on PATH (looked in \$PATH and $GOBIN_DIR)"
done
log "all test tools present ($(( $(date +%s) - START )) s)"
