package io.jettygraceful.internal.protocol;

import java.util.concurrent.TimeUnit;

import io.jettygraceful.internal.os.FakeOs;
import io.jettygraceful.internal.os.OsException;
import io.jettygraceful.internal.protocol.ControlChannel.EndOfStream;
import io.jettygraceful.internal.protocol.ControlChannel.Line;
import io.jettygraceful.internal.protocol.ControlChannel.Received;
import io.jettygraceful.internal.protocol.ControlChannel.TimedOut;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ControlChannel}'s line framing over {@link FakeOs} reads, each {@link FakeOs#feed} one read's worth at most. */
class ControlChannelTest
{
    private static final int FD = 7;
    private static final int MAX_LINE = 4096;

    private final FakeOs os = new FakeOs().unixPeer(FD, 4000);
    private final ControlChannel channel = new ControlChannel(os, FD);

    private static long in(long millis)
    {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    }

    private Received read() throws OsException
    {
        return channel.readLine(in(5_000));
    }

    private void assertLine(String expected, Received received)
    {
        assertEquals(new Line(expected), received);
    }

    @Test
    void lineSplitAcrossReads() throws Exception
    {
        os.feed(FD, "REA").feed(FD, "DY 1").feed(FD, "2\nSER").feed(FD, "VING").feed(FD, "\n");

        assertLine("READY 12", read());
        assertLine("SERVING", read());
    }

    @Test
    void severalLinesInOneRead() throws Exception
    {
        os.feed(FD, "READY 12\nSERVING\nDONE\n");

        assertLine("READY 12", read());
        assertLine("SERVING", read());
        assertLine("DONE", read());
        assertInstanceOf(TimedOut.class, channel.readLine(in(20)), "nothing more");
    }

    @Test
    void emptyLineIsALine() throws Exception
    {
        os.feed(FD, "\nGO\n");

        assertLine("", read());
        assertLine("GO", read());
    }

    @Test
    void linesBeforeEndOfStreamAreDelivered() throws Exception
    {
        os.feed(FD, "READY 12\nFAILED x\n").endOfStream(FD);

        assertLine("READY 12", read());
        assertLine("FAILED x", read());
        assertInstanceOf(EndOfStream.class, read());
    }

    @Test
    void endOfStreamWithAPartialLineIsEndOfStream() throws Exception
    {
        os.feed(FD, "SERV").endOfStream(FD);

        assertInstanceOf(EndOfStream.class, read(), "a line without its newline is not a message");
        assertInstanceOf(EndOfStream.class, read(), "end of stream stays");
    }

    @Test
    void timesOutWhenNothingArrives() throws Exception
    {
        long start = System.nanoTime();
        assertInstanceOf(TimedOut.class, channel.readLine(in(50)));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(40), "waited for the deadline");
        assertInstanceOf(TimedOut.class, channel.readLine(System.nanoTime() - 1), "a past deadline times out at once");
    }

    @Test
    void aPartialLineSurvivesATimeout() throws Exception
    {
        os.feed(FD, "REA");
        assertInstanceOf(TimedOut.class, channel.readLine(in(20)));
        os.feed(FD, "DY 9\n");
        assertLine("READY 9", read());
    }

    @Test
    void overLongLineIsRejected()
    {
        os.feed(FD, "x".repeat(MAX_LINE + 1));

        OsException x = assertThrows(OsException.class, this::read);
        assertTrue(x.getMessage().contains("longer than " + MAX_LINE), x.getMessage());
    }

    @Test
    void overLongLineWithItsNewlineIsRejected()
    {
        os.feed(FD, "x".repeat(3 * MAX_LINE) + "\n");

        assertThrows(OsException.class, this::read);
    }

    @Test
    void oneByteOverTheLongestLineIsRejected()
    {
        os.feed(FD, "x".repeat(MAX_LINE) + "\n");

        assertThrows(OsException.class, this::read);
    }

    @Test
    void theLongestLineWriteLineProducesIsAccepted() throws Exception
    {
        String longest = "F".repeat(MAX_LINE - 1);
        os.feed(FD, longest + "\n");

        assertLine(longest, read());
    }

    @Test
    void aLongLineFollowedByMoreInTheSameReadIsAccepted() throws Exception
    {
        // 4000 bytes arrive without their newline; the newline and the next line arrive in one later read
        String first = "F".repeat(4000);
        os.feed(FD, first).feed(FD, "\nREADY 12\n" + "x".repeat(200));

        assertLine(first, read());
        assertLine("READY 12", read());
    }

    @Test
    void writeLineAppendsOneNewline() throws Exception
    {
        channel.writeLine("READY 12");
        channel.writeLine("GO");

        assertEquals("READY 12\nGO\n", os.written(FD));
    }

    @Test
    void writeLineStripsNewlines() throws Exception
    {
        channel.writeLine("FAILED one\ntwo\r\nthree\n");

        String written = os.written(FD);
        assertTrue(written.endsWith("\n"), written);
        assertEquals(1, written.chars().filter(c -> c == '\n').count(), written);
        assertFalse(written.contains("\r"), written);
        assertTrue(written.startsWith("FAILED one two"), written);
    }

    @Test
    void writeLineTruncatesToWhatAReaderAccepts() throws Exception
    {
        channel.writeLine("FAILED " + "y".repeat(10_000));

        String written = os.written(FD);
        assertEquals(MAX_LINE, written.length(), "at most " + MAX_LINE + " bytes with the newline");
        assertTrue(written.endsWith("\n"));

        FakeOs peerOs = new FakeOs().unixPeer(FD, 4000);
        peerOs.feed(FD, written);
        assertLine(written.substring(0, written.length() - 1), new ControlChannel(peerOs, FD).readLine(in(5_000)));
    }

    @Test
    void closeClosesTheFdOnce()
    {
        channel.close();
        channel.close();

        assertFalse(os.isOpen(FD));
        assertEquals(1, os.closedFds().stream().filter(fd -> fd == FD).count());
    }
}
