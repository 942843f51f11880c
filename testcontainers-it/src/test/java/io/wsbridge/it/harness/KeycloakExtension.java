package io.wsbridge.it.harness;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a test class the {@link KeycloakServer#shared() shared Keycloak}, as a parameter of type
 * {@link KeycloakServer}, kept in the root context's store: JUnit closes (stops) it once all test classes of the run
 * are done, so one Maven run starts it once. Registered before {@link StackExtension}, Keycloak starts while the broker
 * and the worker do.
 *
 * <pre>{@code
 * @ExtendWith({KeycloakExtension.class, StackExtension.class})
 * class SomethingIT {
 *     @Test
 *     void works(Stack stack, KeycloakServer keycloak) { ... }
 * }
 * }</pre>
 */
public final class KeycloakExtension implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(KeycloakExtension.class);

    /** Starts the server in the background: register this extension before {@link StackExtension}. */
    @Override
    public void beforeAll(ExtensionContext context) {
        KeycloakServer.startShared();
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == KeycloakServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return keycloak(context);
    }

    private static KeycloakServer keycloak(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(KeycloakServer.class, key -> KeycloakServer.shared(), KeycloakServer.class);
    }
}
