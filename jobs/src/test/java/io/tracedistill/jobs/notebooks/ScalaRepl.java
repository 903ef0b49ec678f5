package io.tracedistill.jobs.notebooks;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import scala.Option;
import scala.Tuple2;
import scala.collection.JavaConverters;
import scala.tools.nsc.Settings;
import scala.tools.nsc.interpreter.IMain;
import scala.tools.nsc.interpreter.Results;

/**
 * An embedded Scala 2.12 interpreter set up the way Spark's and Zeppelin's Spark REPLs set theirs up, for running
 * notebook paragraphs in a test: class-based wrappers ({@code -Yrepl-class-based}, so closures serialize) and class
 * files written to a directory ({@code -Yrepl-outdir}) that the driver serves to executors when the session was built
 * with {@code spark.repl.class.outputDir} pointing at it.
 *
 * <p>Each {@link #interpret} call compiles and runs one paragraph as a unit (as Zeppelin does) and returns the
 * interpreter's verdict with everything the interpreter printed for it (result lines, compiler errors). Output of
 * the code itself ({@code println}, {@code df.show}) goes to {@code System.out}.
 *
 * <p>Reference: {@code scala.tools.nsc.interpreter.IMain} (Scala 2.12); Spark's {@code org.apache.spark.repl.Main}
 * ({@code -Yrepl-class-based}, {@code -Yrepl-outdir}, {@code spark.repl.class.outputDir}).
 */
public final class ScalaRepl implements AutoCloseable {

    /** What one {@link #interpret} call gave: the interpreter's result and what it printed meanwhile. */
    public record Outcome(Results.Result result, String output) {
        public boolean success() {
            return result == Results.Success$.MODULE$;
        }
    }

    private final IMain intp;
    private final CapturingWriter captured;

    /**
     * Starts an interpreter.
     *
     * @param classpath the compiler's classpath (see {@link #testClasspath()})
     * @param classOutputDir where the interpreter writes the class files of interpreted lines
     * @param parent the class loader interpreted code runs against (the one holding Spark and the project)
     * @param echo where the interpreter's own output is echoed as well (e.g. {@code System.out})
     * @throws IllegalArgumentException if the compiler rejects the settings
     */
    public ScalaRepl(String classpath, Path classOutputDir, ClassLoader parent, PrintStream echo) {
        Settings settings = new Settings();
        List<String> args = new ArrayList<>(List.of("-classpath", classpath, "-Yrepl-class-based",
                "-Yrepl-outdir", classOutputDir.toString()));
        Tuple2<Object, scala.collection.immutable.List<String>> parsed =
                settings.processArguments(JavaConverters.asScalaBuffer(args).toList(), true);
        if (!(Boolean) parsed._1() || !parsed._2().isEmpty()) {
            throw new IllegalArgumentException("The Scala compiler rejected the REPL settings " + args.subList(2,
                    args.size()) + " (unprocessed: " + parsed._2() + ")");
        }
        settings.explicitParentLoader_$eq(Option.apply(parent));
        this.captured = new CapturingWriter(echo);
        this.intp = new IMain(settings, new PrintWriter(captured, true));
        this.intp.initializeSynchronous();
    }

    /** Compiles and runs {@code code} (one or more statements) as one unit, with the REPL's class loader as context. */
    public Outcome interpret(String code) {
        captured.reset();
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(intp.classLoader());
        try {
            Results.Result r = intp.interpret(code);
            return new Outcome(r, captured.text());
        } finally {
            t.setContextClassLoader(previous);
        }
    }

    /**
     * Binds {@code value} to {@code name} with static type {@code type} (a fully qualified class name).
     *
     * @throws IllegalStateException with the interpreter's output when the binding does not compile
     */
    public void bind(String name, String type, Object value) {
        captured.reset();
        scala.collection.immutable.List<String> noModifiers = JavaConverters.asScalaBuffer(new ArrayList<String>()).toList();
        Results.Result r = intp.bind(name, type, value, noModifiers);
        if (r != Results.Success$.MODULE$) {
            throw new IllegalStateException("Cannot bind " + name + ": " + type + " in the Scala REPL: " + r + "\n"
                    + captured.text());
        }
    }

    /** The value of a top-level term defined by an interpreted line, if there is one. */
    public Optional<Object> valueOf(String term) {
        Option<Object> v = intp.valueOfTerm(term);
        return v.isDefined() ? Optional.ofNullable(v.get()) : Optional.empty();
    }

    @Override
    public void close() {
        intp.close();
    }

    /**
     * The classpath of this JVM's test run as the compiler needs it: Surefire's {@code surefire.test.class.path} when
     * set, else {@code java.class.path}; a manifest-only booter jar (Surefire's default {@code useManifestOnlyJar})
     * is expanded into its {@code Class-Path} entries, because scalac does not follow manifest class paths.
     */
    public static String testClasspath() {
        String cp = System.getProperty("surefire.test.class.path");
        if (cp == null || cp.isBlank()) {
            cp = System.getProperty("java.class.path");
        }
        Set<String> out = new LinkedHashSet<>();
        for (String entry : cp.split(File.pathSeparator)) {
            if (entry.isBlank()) {
                continue;
            }
            out.add(entry);
            if (entry.endsWith(".jar")) {
                out.addAll(manifestClassPath(Path.of(entry)));
            }
        }
        return String.join(File.pathSeparator, out);
    }

    private static List<String> manifestClassPath(Path jar) {
        if (!Files.isRegularFile(jar)) {
            return List.of();
        }
        try (JarFile jf = new JarFile(jar.toFile())) {
            Manifest m = jf.getManifest();
            String cp = m == null ? null : m.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
            if (cp == null) {
                return List.of();
            }
            List<String> out = new ArrayList<>();
            URI base = jar.toAbsolutePath().getParent().toUri();
            for (String u : cp.trim().split("\\s+")) {
                URI resolved = base.resolve(u);
                out.add("file".equals(resolved.getScheme()) ? Path.of(resolved).toString() : u);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the manifest of " + jar + " to build the REPL classpath", e);
        }
    }

    /** Collects what the interpreter prints for the current call and echoes it. */
    private static final class CapturingWriter extends Writer {
        private final StringBuilder buf = new StringBuilder();
        private final PrintStream echo;

        CapturingWriter(PrintStream echo) {
            this.echo = echo;
        }

        synchronized void reset() {
            buf.setLength(0);
        }

        synchronized String text() {
            return buf.toString();
        }

        @Override
        public synchronized void write(char[] c, int off, int len) {
            buf.append(c, off, len);
            if (echo != null) {
                echo.print(new String(c, off, len));
            }
        }

        @Override
        public void flush() {
            if (echo != null) {
                echo.flush();
            }
        }

        @Override
        public void close() {
            flush();
        }
    }
}
