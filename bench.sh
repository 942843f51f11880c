#!/usr/bin/env bash
# The benchmark command (see BENCHMARKS.md): builds wsbridge, runs the JMH benchmarks of the hot path, then starts a
# KRaft broker, a Connect worker with the plugin archive and a bare Jetty baseline server as local processes on
# 127.0.0.1, drives them from a load generator in its own JVM and prints a table in which every figure has its baseline
# measured in the same run. Takes about 25 minutes on a quiet machine; every process it starts is stopped when it ends.
#
#   ./bench.sh                          everything
#   ./bench.sh --no-jmh                 the real stack only
#   ./bench.sh --jmh-only               the JMH benchmarks only
#   ./bench.sh -Dbench.sections=latency -Dbench.latency.rates=10000     any -Dbench.* option of Bench.Options
set -euo pipefail
cd "$(dirname "$0")"

jmh=yes
stack=yes
props=()
for arg in "$@"; do
  case "$arg" in
    --no-jmh) jmh=no ;;
    --jmh-only) stack=no ;;
    -D*) props+=("$arg") ;;
    *) echo "unknown argument: $arg (see the top of $0)" >&2; exit 2 ;;
  esac
done

# The fan-out run holds 100,000 client connections in the load generator, as many in the worker and then in the bare
# Jetty server: each of those JVMs needs that many file descriptors. Raising the hard limit takes root with
# CAP_SYS_RESOURCE (or a limits.conf entry); without it the fan-out run holds as many subscribers as the limit allows
# and says so in the results. 10,000 idle connections need 12,000.
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 131072 ]; then
  ulimit -n 131072 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 102000 ]; then
    echo "warning: ulimit -n is $(ulimit -n): the fan-out run needs 102,000 file descriptors per process (it is scaled"\
      "down to fit), 10,000 connections need 12,000" >&2
  fi
fi

echo "==> Building wsbridge, the plugin archive and the benchmarks (the first run downloads dependencies)"
# package, not install: nothing outside this tree changes, and the integration tests' plugin.path is left alone.
mvn -B -q -Pbench -DskipTests \
  -pl bridge-server,connector,testcontainers-it/kafka-runtime,testcontainers-it,benchmarks \
  package dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-it.classpath

out=benchmarks/target
bench_cp="$PWD/$out/classes:$(cat "$out/bench.classpath")"
mkdir -p "$out"

jmh_results=()
rm -f "$out/jmh-results.json"
if [ "$jmh" = yes ]; then
  echo "==> JMH: conversion, encoding and routing per event and per subscriber"
  java -cp "$bench_cp" org.openjdk.jmh.Main -f 1 -wi 3 -w 1 -i 5 -r 1 -prof gc \
    -rf json -rff "$PWD/$out/jmh-results.json" 'io.wsbridge.bench.jmh.*'
  jmh_results=(-Dbench.jmh.results="$PWD/$out/jmh-results.json")
fi
[ "$stack" = yes ] || exit 0

# The worker loads its own copy of the archive: the integration tests' plugin.path is not touched.
plugins="$PWD/$out/bench-plugins"
rm -rf "$plugins" "$PWD/$out/bench-work"
mkdir -p "$plugins" "$PWD/$out/bench-work"
# BENCH_PLUGIN_ZIP=<archive> measures another build of the connector (e.g. before a change) with the same harness.
unzip -q "${BENCH_PLUGIN_ZIP:-$(ls connector/target/wsbridge-connector-*.zip)}" -d "$plugins"
# Baseline: a sink connector that does nothing (benchmarks' NullSinkConnector), a plugin of its own.
mkdir -p "$plugins/null-sink"
jar cf "$plugins/null-sink/null-sink.jar" -C "$out/classes" io/wsbridge/bench/nullsink -C benchmarks/src/null-sink META-INF

echo "==> The real stack"
exec java -Xmx3g -XX:+UseSerialGC \
  -Dit.kafka.libs="$PWD/testcontainers-it/kafka-runtime/target/libs" \
  -Dit.plugin.path="$plugins" \
  -Dit.config.dir="$PWD/config" \
  -Dit.work.dir="$PWD/$out/bench-work" \
  -Dbench.classpath="$bench_cp" \
  "${jmh_results[@]}" \
  -Dbench.results="$PWD/$out/bench-results.md" \
  "${props[@]}" \
  -cp "testcontainers-it/target/test-classes:$(cat testcontainers-it/target/bench-it.classpath)" \
  io.wsbridge.it.bench.Bench
