package io.jettygraceful.it.systemd;

import java.util.stream.Stream;

import io.jettygraceful.it.systemd.DebianRootfs.Suite;

/** One cell of the systemd test matrix: a Debian suite (its systemd), a unit variant, a JDK. */
public record Setup(Suite suite, UnitFiles units, int jdk)
{
    /** The reload units on every systemd that has them, JDK 17. */
    public static Stream<Setup> reloadUnitsJdk17()
    {
        return Stream.of(new Setup(Suite.BOOKWORM, UnitFiles.NOTIFY, 17), new Setup(Suite.TRIXIE, UnitFiles.NOTIFY, 17),
            new Setup(Suite.TRIXIE, UnitFiles.NOTIFY_RELOAD, 17));
    }

    /** Each systemd with its newest reload unit, JDK 25. */
    public static Stream<Setup> reloadUnitsJdk25()
    {
        return Stream.of(new Setup(Suite.BOOKWORM, UnitFiles.NOTIFY, 25), new Setup(Suite.TRIXIE, UnitFiles.NOTIFY_RELOAD, 25));
    }

    /** Both JDKs' cells of the reload units. */
    public static Stream<Setup> reloadUnits()
    {
        return Stream.concat(reloadUnitsJdk17(), reloadUnitsJdk25());
    }

    /** {@code units} on both systemd versions with JDK 17, and on the newest with JDK 25. */
    public static Stream<Setup> everySystemd(UnitFiles units)
    {
        return Stream.of(new Setup(Suite.BOOKWORM, units, 17), new Setup(Suite.TRIXIE, units, 17), new Setup(Suite.TRIXIE, units, 25));
    }

    /** Whether {@code systemctl reload} of this unit can report a failed restart (the ExecReload script's exit code). */
    public boolean reloadReportsFailure()
    {
        return units != UnitFiles.NOTIFY_RELOAD;
    }

    @Override
    public String toString()
    {
        return suite + " " + units + " JDK " + jdk;
    }
}
