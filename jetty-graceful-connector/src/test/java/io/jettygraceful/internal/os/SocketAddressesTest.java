package io.jettygraceful.internal.os;

import java.net.InetAddress;
import java.net.InetSocketAddress;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SocketAddressesTest
{
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "127.0.0.1, 127.0.0.1",
        "0.0.0.0, 0.0.0.0",
        "::1, ::1",
        "::, ::",
        "0:0:0:0:0:0:0:1, ::1",
        "2001:DB8:0:0:0:0:0:1, 2001:db8::1",
        "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",     // equal runs: the first is shortened
        "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",  // a single zero group stays
        "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",           // the longest run wins
        "fe80:0:0:0:0:0:0:0, fe80::",
        "0:0:0:0:0:0:0:ff, ::ff",
        "2001:0db8:00ab:0000:0000:0000:0000:0001, 2001:db8:ab::1",
    })
    void hostIsTheCanonicalTextForm(String literal, String expected) throws Exception
    {
        assertEquals(expected, SocketAddresses.host(InetAddress.getByName(literal)));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "127.0.0.1, '127.0.0.1:8080'",
        "::1, '[::1]:8080'",
        "fe80::1%1, '[fe80::1]:8080'",
    })
    void hostAndPortBracketsIpv6AndDropsTheZone(String literal, String expected) throws Exception
    {
        assertEquals(expected, SocketAddresses.hostAndPort(new InetSocketAddress(InetAddress.getByName(literal), 8080)));
    }
}
