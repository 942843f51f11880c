package io.wsbridge.connect.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ConfigReferenceTest {

    static final String START = "<!-- config-reference:start -->\n";
    static final String END = "<!-- config-reference:end -->";

    @Test
    void readmeCarriesTheReferenceGeneratedFromTheConfigDef() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int start = readme.indexOf(START);
        int end = readme.indexOf(END);
        assertThat(start).as("README marker %s", START.trim()).isNotNegative();
        assertThat(end).as("README marker %s", END).isGreaterThan(start);

        String documented = readme.substring(start + START.length(), end);

        assertThat(documented)
                .as("README configuration reference; regenerate it with WebSocketSinkConfig.main")
                .isEqualTo(ConfigReference.markdown(WebSocketSinkConfig.CONFIG_DEF));
    }

    @Test
    void everyKeyHasAGroupDocumentationAndAValidator() {
        WebSocketSinkConfig.CONFIG_DEF.configKeys().values().forEach(key -> {
            assertThat(key.group).as(key.name).isNotBlank();
            assertThat(key.documentation).as(key.name).isNotBlank();
            assertThat(key.validator).as(key.name).isNotNull();
        });
    }
}
