package io.jettygraceful.it;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A self-signed server certificate for the TLS tests, and a client context that trusts exactly it. */
public final class TestCertificates
{
    /** Password of the key store and of its key. */
    public static final String PASSWORD = "it-secret";

    private TestCertificates()
    {
    }

    /** A PKCS12 file with an EC key and a self-signed certificate for 127.0.0.1, made by this JDK's keytool. */
    public static Path selfSignedKeystore(Path file) throws Exception
    {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process keytoolProcess = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
            "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
            "-keystore", file.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
            .redirectErrorStream(true).start();
        try
        {
            String output;
            try (InputStream in = keytoolProcess.getInputStream())
            {
                output = new String(in.readAllBytes());
            }
            assertTrue(keytoolProcess.waitFor(60, TimeUnit.SECONDS), "keytool finished");
            assertEquals(0, keytoolProcess.exitValue(), "keytool: " + output);
        }
        finally
        {
            keytoolProcess.destroyForcibly();
            keytoolProcess.waitFor(10, TimeUnit.SECONDS);
        }
        return file;
    }

    /** @return a client context whose only trusted certificate is the one in {@code keystore} */
    public static SSLContext trusting(Path keystore) throws Exception
    {
        KeyStore server = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore))
        {
            server.load(in, PASSWORD.toCharArray());
        }
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        trusted.setCertificateEntry("server", server.getCertificate("server"));
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }
}
