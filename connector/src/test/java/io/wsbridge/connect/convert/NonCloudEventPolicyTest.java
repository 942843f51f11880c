package io.wsbridge.connect.convert;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NonCloudEventPolicyTest {

    @Test
    void parsesConfigValuesIgnoringCaseAndBlanks() {
        assertThat(NonCloudEventPolicy.parse("wrap")).isEqualTo(NonCloudEventPolicy.WRAP);
        assertThat(NonCloudEventPolicy.parse("WRAP")).isEqualTo(NonCloudEventPolicy.WRAP);
        assertThat(NonCloudEventPolicy.parse(" Report ")).isEqualTo(NonCloudEventPolicy.REPORT);
    }

    @Test
    void configValueRoundTrips() {
        for (NonCloudEventPolicy policy : NonCloudEventPolicy.values()) {
            assertThat(NonCloudEventPolicy.parse(policy.configValue())).isEqualTo(policy);
        }
        assertThat(NonCloudEventPolicy.configValues()).containsExactly("wrap", "report");
    }

    @Test
    void rejectsUnknownValueListingTheAcceptedOnes() {
        assertThatThrownBy(() -> NonCloudEventPolicy.parse("drop"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Unknown policy for records that are not CloudEvents: 'drop'; use one of wrap, report");
        assertThatThrownBy(() -> NonCloudEventPolicy.parse(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Unknown policy for records that are not CloudEvents: null; use one of wrap, report");
    }
}
