package io.jettygraceful.spring.boot;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Boot's start failure report for an invalid {@code jetty.graceful.*} value: the property, its value, the fix. */
class GracefulPropertiesFailureAnalyzer extends AbstractFailureAnalyzer<InvalidGracefulPropertyException>
{
    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, InvalidGracefulPropertyException cause)
    {
        String description = "Invalid value '" + cause.getValue() + "' for property '" + cause.getProperty() + "': " + cause.getProblem() +
            (cause.getCause() != null ? " (" + cause.getCause().getMessage() + ")" : "") + ".";
        String action = "Update '" + cause.getProperty() + "' in your application's configuration: " + cause.getFix() + ".";
        return new FailureAnalysis(description, action, cause);
    }
}
