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
        String generated = ConfigReference.markdown(WebSocketSinkConfig.CONFIG_DEF);
        if (Boolean.getBoolean("readme.update") && !documented.equals(generated)) {
            Files.writeString(Path.of("..", "README.md"),
                    readme.substring(0, start + START.length()) + generated + readme.substring(end));
            documented = generated;
        }

        assertThat(documented)
                .as("README configuration reference; regenerate it with "
                        + "mvn -pl connector test -Dtest=ConfigReferenceTest -Dreadme.update=true")
                .isEqualTo(generated);
    }

    @Test
    void everyKeyHasAGroupDocumentationAndAValidator() {
        WebSocketSinkConfig.CONFIG_DEF.configKeys().values().forEach(key -> {
            assertThat(key.group).as(key.name).isNotBlank();
            assertThat(key.documentation).as(key.name).isNotBlank();
            if (key.type != org.apache.kafka.common.config.ConfigDef.Type.PASSWORD) {
                assertThat(key.validator).as(key.name).isNotNull();
            }
        });
    }
}
