package io.jettygraceful.it.config;

import java.nio.charset.StandardCharsets;

import io.jettygraceful.GracefulRestart;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Answers every request with 200 and one line saying who served it and what the server made of the request:
 * {@code pid=N generation=G remote=ADDRESS scheme=S protocol=P}. It runs inside a jetty base (jarred into lib/ext by
 * {@link JettyBase#echoHandler()}), so the tests can see the effect of modules such as http-forwarded (remote address
 * and scheme from the headers), proxy-protocol (remote address from the PROXY line) and http2c (protocol).
 */
public class EchoHandler extends Handler.Abstract
{
    @Override
    public boolean handle(Request request, Response response, Callback callback)
    {
        GracefulRestart restart = getServer().getBean(GracefulRestart.class);
        String body = "pid=" + ProcessHandle.current().pid() + " generation=" + (restart == null ? 0 : restart.getGeneration()) +
            " remote=" + Request.getRemoteAddr(request) + " scheme=" + request.getHttpURI().getScheme() +
            " protocol=" + request.getConnectionMetaData().getProtocol() + "\n";
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain;charset=utf-8");
        response.write(true, java.nio.ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
        return true;
    }
}
