package io.jettygraceful.it.bench;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmark's options: load shapes, handoff variants, the open-loop schedule (no processes). */
class BenchSettingsTest
{
    @Test
    void loadShapes()
    {
        assertEquals(new LoadShape(32, 16, 0, 0, 0), LoadShape.parse("32+16", 0));
        assertEquals(new LoadShape(3, 3, 2, 2, 5000), LoadShape.parse(" 3 + 3 + 2 + 2 ", 5000));
        assertEquals(new LoadShape(3, 3, 0, 0, 0), LoadShape.parse("3+3+2+2", 5000).fastClosedLoop());
        for (String bad : List.of("32", "32+16+1", "a+b", "0+0", "-1+2"))
        {
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> LoadShape.parse(bad, 0), bad);
            assertTrue(x.getMessage().contains("K+C") || x.getMessage().contains("at least one fast client"), x.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> LoadShape.parse("32+16", -1));
        assertEquals("32+16", LoadShape.parse("32+16+0+0", 0).toString());
        assertEquals("3+3+2+2 at 5000/s", LoadShape.parse("3+3+2+2", 5000).toString());
    }

    @Test
    void handoffVariantsBecomeLanesInPlaceOfTheHandoff()
    {
        List<Lane> lanes = Lane.of(List.of(Strategy.REUSE_PORT, Strategy.HANDOFF), "--drain-timeout=5s",
            "legacy:--handover-spread 0s; gradual: ;warm:--warm-up=5000");

        assertEquals(List.of("reuseport", "handoff:legacy", "handoff:gradual", "handoff:warm"), lanes.stream().map(Lane::id).toList());
        assertEquals(List.of(), lanes.get(0).exampleArgs(), "bench.handoff.args is the handoff's only");
        assertEquals(List.of("--drain-timeout", "5s", "--handover-spread", "0s"), lanes.get(1).exampleArgs());
        assertEquals(List.of("--drain-timeout", "5s"), lanes.get(2).exampleArgs());
        assertEquals(List.of("--drain-timeout", "5s", "--warm-up", "5000"), lanes.get(3).exampleArgs());
        assertEquals(List.of("--ready-delay", "1s"), Lane.of(List.of(Strategy.HANDOFF), "--ready-delay=1s", "").get(0).exampleArgs());
    }

    @Test
    void badVariantsAreNamed()
    {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Lane.of(List.of(Strategy.STOP_START), "", "a:"))
            .getMessage().contains("add handoff to bench.strategies"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Lane.of(List.of(Strategy.HANDOFF), "", "a:;a:--warm-up 1"))
            .getMessage().contains("'a' appears twice"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Lane.of(List.of(Strategy.HANDOFF), "", "--warm-up 1"))
            .getMessage().contains("NAME:ARGS"));
    }

    @Test
    void theOpenLoopScheduleSpreadsTheRateEvenlyOverTheClients()
    {
        int clients = 4;
        int rate = 1000; // each client every 4 ms, the clients 1 ms apart
        assertEquals(0, BenchClient.intendedStart(0, clients, rate, 0));
        assertEquals(1_000_000, BenchClient.intendedStart(1, clients, rate, 0));
        assertEquals(4_000_000, BenchClient.intendedStart(0, clients, rate, 1));
        assertEquals(7_000_000, BenchClient.intendedStart(3, clients, rate, 1));
        int inOneSecond = 0;
        for (int slot = 0; slot < clients; slot++)
            for (long k = 0; BenchClient.intendedStart(slot, clients, rate, k) < 1_000_000_000L; k++)
                inOneSecond++;
        assertEquals(rate, inOneSecond);
    }
}
