package io.jettygraceful.dropwizard;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.dropwizard.servlets.tasks.Task;
import io.jettygraceful.GracefulRestart;
import io.jettygraceful.RestartOutcome;

/**
 * Admin task {@code POST /tasks/graceful-restart}: restarts with zero downtime and answers when the restart is decided,
 * with its outcome: {@code 200 succeeded: new pid N ready after T ms} (this process then drains and exits, after this
 * response), or {@code 500} with {@code failed: REASON} (this process serves on), so {@code curl -f} fails a deploy
 * script on a failed restart. Waits at most the ready timeout plus twice the kill grace, plus 10 s.
 */
final class GracefulRestartTask extends Task
{
    static final String NAME = "graceful-restart";

    private final Supplier<GracefulRestart> restart;

    GracefulRestartTask(Supplier<GracefulRestart> restart)
    {
        super(NAME, "text/plain;charset=UTF-8");
        this.restart = restart;
    }

    @Override
    public void execute(Map<String, List<String>> parameters, PrintWriter output) throws Exception
    {
        GracefulRestart graceful = restart.get();
        long waitMillis = graceful.getConfiguration().getReadyTimeout().toMillis() + 2 * graceful.getConfiguration().getKillGrace().toMillis() + 10_000L;
        RestartOutcome outcome = graceful.restart().get(waitMillis, TimeUnit.MILLISECONDS);
        if (!outcome.succeeded())
            throw new IllegalStateException(outcome.toString());
        output.println(outcome);
    }
}
