package io.tracedistill.testdata;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A real S3 server for tests: S3Proxy ({@code org.gaul:s3proxy}, filesystem backend) started with
 * {@code java -jar target/s3proxy/s3proxy.jar}, bound to 127.0.0.1 on a free port, with path-style access and fake
 * credentials. (S3Mock was tried first: its extra plain-HTTP connector always binds every interface, which this
 * project does not allow.) A module whose tests use it copies the jar there with maven-dependency-plugin
 * (execution {@code s3proxy-for-tests} in pipeline/spark/pom.xml and jobs/pom.xml).
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String ACCESS_KEY = "AKIATRACEDISTILLTEST";
    public static final String SECRET_KEY = "tracedistill-test-secret-9f3c2a";

    private final Process process;
    private final int port;
    private final Path log;

    private S3ProxyServer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** Starts the server with one bucket and waits (up to 90 s) until it accepts connections. */
    public static S3ProxyServer start(Path workDir, String bucket) throws IOException, InterruptedException {
        Path jar = Path.of("target", "s3proxy", "s3proxy.jar").toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("S3Proxy jar not found at " + jar
                    + "; it is copied there by maven-dependency-plugin at generate-test-resources (run the tests "
                    + "through Maven)");
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        Path data = workDir.resolve("s3data");
        Files.createDirectories(data.resolve(bucket));
        Path conf = workDir.resolve("s3proxy.conf");
        Files.write(conf, List.of(
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + SECRET_KEY,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + data), StandardCharsets.UTF_8);
        Path log = workDir.resolve("s3proxy.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx384m", "-jar", jar.toString(), "--properties", conf.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + 90_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("S3Proxy exited with " + p.exitValue() + "; log:\n" + Files.readString(log));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return new S3ProxyServer(p, port, log);
            } catch (IOException notYet) {
                Thread.sleep(300);
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException("S3Proxy did not listen on 127.0.0.1:" + port + " within 90 s; log:\n"
                + Files.readString(log));
    }

    /** The server's log so far. */
    public String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
