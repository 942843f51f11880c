package io.wsbridge.connect.cluster;

/** Installs or removes this JVM's worker settings, as the REST extension's {@code configure} would. */
public final class WorkerSettingsFixture {

    private WorkerSettingsFixture() {
    }

    public static void install(WorkerSettings settings) {
        WorkerSettings.install(settings);
    }

    public static void reset() {
        WorkerSettings.install(null);
    }
}
