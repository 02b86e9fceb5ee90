#!/usr/bin/env bash
# Builds the Pulumi CLI (the real engine the tests in tests/engine/ drive) from the Go module
# proxy and caches it as .cache/pulumi/<version>/bin/pulumi (the layout that
# `auto.PulumiCommand(root=...)` expects). Idempotent: a cached binary that reports the right
# version is kept. Progress goes to stderr; stdout gets one line, the binary's path.
#
# Why a build: the machine reaches only package registries, and the Go module proxy serves the
# CLI's source as a module. Cold, on 2 idle cores, the build takes about 6 minutes (32 min seen
# on a loaded machine; with Go's module and build caches warm, about a minute). The -X flag sets the version `pulumi version`
# prints; without it the version is empty and the Automation API refuses the CLI.
# The Python language host and the provider plugins are not built: tests run inline programs.
set -euo pipefail
cd "$(dirname "$0")/.."

PULUMI_VERSION="${PULUMI_VERSION:-3.274.1}"
GO_MIN_MINOR=24 # pulumi v3.274's go.mod needs Go 1.24 or newer

dest=".cache/pulumi/${PULUMI_VERSION}"
bin="$dest/bin/pulumi"
if [ -x "$bin" ] && [ "$("$bin" version 2>/dev/null)" = "v${PULUMI_VERSION}" ]; then
  echo "$bin"
  exit 0
fi

can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
if ! command -v go >/dev/null 2>&1; then
  if can_apt; then
    echo "installing Go: apt-get install golang-go" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      golang-go ca-certificates git >/dev/null
  else
    echo "Go is missing. Install it first: sudo apt-get install golang-go (Debian/Ubuntu)" >&2
    exit 1
  fi
fi
minor="$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')"
if ! [ "$minor" -ge "$GO_MIN_MINOR" ] 2>/dev/null; then
  echo "Go $(go env GOVERSION) is too old to build pulumi v${PULUMI_VERSION} (needs go1.${GO_MIN_MINOR}+)." >&2
  echo "Install a newer Go first (for example: export GOTOOLCHAIN=go1.26.8 with Go >= 1.21)." >&2
  exit 1
fi

# An empty module that requires exactly this version of pkg and sdk (they must agree).
src="$dest/src"
mkdir -p "$src"
started=$(date +%s)
echo "building pulumi v${PULUMI_VERSION} from the Go module proxy (about 6 min cold on 2 idle cores)" >&2
log="$PWD/$dest/build.log"
if ! (
  cd "$src"
  [ -f go.mod ] || go mod init pulumi-cli-build
  go get "github.com/pulumi/pulumi/pkg/v3@v${PULUMI_VERSION}" \
    "github.com/pulumi/pulumi/sdk/v3@v${PULUMI_VERSION}"
  go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v${PULUMI_VERSION}"
  GOFLAGS=-buildvcs=false go build \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${PULUMI_VERSION}" \
    -o pulumi.tmp github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
) >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "building pulumi v${PULUMI_VERSION} failed (full log: $log)" >&2
  exit 1
fi
mkdir -p "$dest/bin"
mv "$src/pulumi.tmp" "$bin"
got="$("$bin" version)"
if [ "$got" != "v${PULUMI_VERSION}" ]; then
  echo "built $bin but it reports version '$got', not v${PULUMI_VERSION}" >&2
  exit 1
fi
echo "built pulumi ${got} in $(($(date +%s) - started))s" >&2
echo "$bin"
