package io.wsbridge.bridge.ws;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RouteTest {

    @Test
    void applicationAndChannelArePercentDecoded() {
        assertThat(Route.parse("/drogue-public-temperature")).isEqualTo(new Route("drogue-public-temperature", null));
        assertThat(Route.parse("/my%20app/dev%2Fice+1")).isEqualTo(new Route("my app", "dev/ice+1"));
    }

    @Test
    void otherPathsAreNoRoute() {
        assertThat(Route.parse("/")).isNull();
        assertThat(Route.parse("//x")).isNull();
        assertThat(Route.parse("/a/")).isNull();
        assertThat(Route.parse("/a/b/c")).isNull();
        assertThat(Route.parse("/..")).isNull();
        assertThat(Route.parse("/%2e%2e")).isNull();
        assertThat(Route.parse("/a%2Fb")).isNull();
        assertThat(Route.parse("/%ff%fe")).isNull();
        assertThat(Route.parse("/%zz")).isNull();
        assertThat(Route.parse("/a%00b")).isNull();
        assertThat(Route.parse("/" + "x".repeat(256))).isNull();
        assertThat(Route.parse("/" + "x".repeat(255))).isNotNull();
    }
}
