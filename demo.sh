#!/usr/bin/env bash
# One-command demo: builds wsbridge, starts a local Kafka broker and a Connect worker (from Maven Central jars, as
# local processes on 127.0.0.1, no Docker), deploys the connector through REST and starts simulated devices.
# --keycloak also starts Keycloak with the development realm and prints a token and an API key of alice.
# Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")"

echo "==> Building wsbridge and the plugin archive (the first run downloads dependencies)"
mvn -B -q install -DskipTests
cp_file=testcontainers-it/target/demo.classpath
mvn -B -q -pl testcontainers-it dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$PWD/$cp_file" >/dev/null

exec java -Xmx512m \
  -Dit.kafka.libs="$PWD/testcontainers-it/kafka-runtime/target/libs" \
  -Dit.plugin.path="$PWD/testcontainers-it/target/plugins" \
  -Dit.config.dir="$PWD/config" \
  -Dit.work.dir="$PWD/testcontainers-it/target/demo-work" \
  -Dit.keycloak.unpacked="$PWD/testcontainers-it/target/keycloak" \
  -Dit.wsbridge.cli="$PWD/bridge-server/target/wsbridge.jar" \
  -Ddemo.port="${DEMO_PORT:-8085}" \
  -Ddemo.ops.port="${DEMO_OPS_PORT:-8086}" \
  -Ddemo.keycloak.port="${DEMO_KEYCLOAK_PORT:-8180}" \
  -cp "testcontainers-it/target/test-classes:$(cat "$cp_file")" \
  io.wsbridge.it.demo.Demo "$@"
