package io.jettygraceful.spring.boot.actuate;

import java.util.Map;

import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.EndpointWebExtension;

/**
 * The HTTP side of {@code POST /actuator/gracefulrestart}: the same JSON body as {@link GracefulRestartEndpoint#restart()},
 * with a status that tells a deploy script ({@code curl -f}) what happened:
 * <ul>
 *   <li>{@value #OK} the replacement took over (this process drains and exits after the answer);</li>
 *   <li>{@value #CONFLICT} refused before it began: a restart already runs, or this process has handed over or is still
 *       taking over (the {@code reason} says which); try again once it has ended;</li>
 *   <li>{@value WebEndpointResponse#STATUS_INTERNAL_SERVER_ERROR} the restart failed: the replacement was stopped and this
 *       process serves on (the {@code reason} says why, e.g. a broken jar);</li>
 *   <li>{@value WebEndpointResponse#STATUS_SERVICE_UNAVAILABLE} no outcome: jetty-graceful is not running yet, or none came
 *       within the restart timeout (see the log).</li>
 * </ul>
 * The read operation is the endpoint's own.
 */
@EndpointWebExtension(endpoint = GracefulRestartEndpoint.class)
public class GracefulRestartEndpointWebExtension
{
    static final int OK = WebEndpointResponse.STATUS_OK;
    /** WebEndpointResponse has no constant for 409. */
    static final int CONFLICT = 409;

    private final GracefulRestartEndpoint endpoint;

    public GracefulRestartEndpointWebExtension(GracefulRestartEndpoint endpoint)
    {
        this.endpoint = endpoint;
    }

    @WriteOperation
    public WebEndpointResponse<Map<String, Object>> restart()
    {
        GracefulRestartEndpoint.Answer answer = endpoint.restartAndWait();
        return new WebEndpointResponse<>(answer.body(), status(answer.kind()));
    }

    static int status(GracefulRestartEndpoint.Kind kind)
    {
        return switch (kind)
        {
            case SUCCEEDED -> OK;
            case REFUSED -> CONFLICT;
            case FAILED -> WebEndpointResponse.STATUS_INTERNAL_SERVER_ERROR;
            case UNAVAILABLE -> WebEndpointResponse.STATUS_SERVICE_UNAVAILABLE;
        };
    }
}
