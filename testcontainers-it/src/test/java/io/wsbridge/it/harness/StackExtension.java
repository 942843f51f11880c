package io.wsbridge.it.harness;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a test class the {@link Stack#shared() shared stack}, as a parameter of type {@link Stack}.
 * The stack is kept in the root context's store, which JUnit closes (it is {@link AutoCloseable}) once
 * all test classes of the run are done, so one Maven run starts the broker and the worker once.
 *
 * <pre>{@code
 * @ExtendWith(StackExtension.class)
 * class SomethingIT {
 *     @Test
 *     void works(Stack stack) { ... }
 * }
 * }</pre>
 */
public final class StackExtension implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(StackExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        stack(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Stack.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return stack(context);
    }

    private static Stack stack(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(Stack.class, key -> Stack.shared(), Stack.class);
    }
}
