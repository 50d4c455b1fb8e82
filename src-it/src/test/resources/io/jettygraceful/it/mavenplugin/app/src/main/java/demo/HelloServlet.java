package demo;

import java.io.IOException;

import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/** Answers with the build's version string and the pid that serves; the test edits VERSION between restarts. */
@WebServlet("/hello")
public class HelloServlet extends HttpServlet
{
    static final String VERSION = "version-1";

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException
    {
        response.setContentType("text/plain");
        response.getWriter().print(VERSION + " " + ProcessHandle.current().pid());
    }
}
