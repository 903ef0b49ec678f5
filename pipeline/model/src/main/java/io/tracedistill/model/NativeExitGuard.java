package io.tracedistill.model;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Keeps the JVM's exit from tearing libtorch down under a running libtorch call.
 *
 * <p>A SIGTERM or SIGINT (Ctrl-C, a cluster manager stopping an executor, {@code timeout}, a killed benchmark) starts
 * the JVM's exit at once: the shutdown hooks run, then the C library's {@code exit()}, which runs libtorch's C++
 * static destructors. A thread that was inside a native call (one backward pass takes seconds) keeps running in the
 * destroyed globals and the JVM dies with SIGSEGV, e.g. in {@code at::getAccelerator(bool)} under
 * {@code PyTorchLibrary.torchBackward}, with garbage (freed and reused memory: ASCII text) in the registers: an
 * {@code hs_err} log that reads like heap corruption, although the data were fine. Measured on the 25M-parameter
 * row of {@code scripts/bench-model}: a SIGTERM during a step crashed the JVM in 2 of 3 runs. The hook of
 * this class runs among the shutdown hooks, waits (at most {@link #EXIT_WAIT}) for every open {@link Section} to
 * close and then keeps new sections from starting, so {@code exit()} runs with no libtorch call in flight and the
 * process ends with the signal's exit status (143 for SIGTERM) instead of a crash.
 *
 * <p>Code that runs a unit of libtorch work (a training step, a batch of generation) holds a section around it:
 * <pre>
 *   try (NativeExitGuard.Section s = NativeExitGuard.enter()) {
 *       ... forward, backward, optimizer step ...
 *   }
 * </pre>
 * Sections are shared (any number of threads, nestable) and cost one uncontended read-lock acquisition; a unit
 * should be short enough to finish within {@link #EXIT_WAIT}. Once the JVM is exiting, {@link #enter} blocks
 * until the process ends. Never call {@code System.exit} inside a section: the hook would wait for that section
 * for {@link #EXIT_WAIT}.
 */
public final class NativeExitGuard {

    /** How long the exit waits for running sections; after that it proceeds (and may crash as before). */
    public static final Duration EXIT_WAIT = Duration.ofSeconds(60);

    private static final NativeExitGuard PROCESS = new NativeExitGuard();
    private static volatile boolean hookInstalled;

    /** Readers: open sections. Writer: the exit, which takes it and never gives it back. */
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Section section = () -> lock.readLock().unlock();

    NativeExitGuard() {
    }

    /** An open section; {@link #close} ends it (on the thread that entered it). */
    @FunctionalInterface
    public interface Section extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Opens a section of the process-wide guard (installing its shutdown hook on first use). Blocks for good once
     * the JVM has begun to exit.
     */
    public static Section enter() {
        installHook();
        return PROCESS.open();
    }

    Section open() {
        lock.readLock().lock();
        return section;
    }

    /**
     * What the shutdown hook does: waits up to {@code wait} for open sections to close and keeps new ones from
     * starting (the write lock is never released). Returns false if sections were still open after {@code wait}.
     */
    boolean closeForExit(Duration wait) {
        int open = lock.getReadLockCount();
        if (open > 0) {
            System.err.println("tracedistill: the JVM is exiting while libtorch work is running (" + open
                    + " section(s)); waiting up to " + seconds(wait) + " s for it to finish, so that libtorch is not"
                    + " torn down under it");
        }
        try {
            if (lock.writeLock().tryLock(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                return true;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.err.println("tracedistill: libtorch work still running after " + seconds(wait)
                + " s; exiting anyway (the JVM may crash in libtorch)");
        return false;
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? String.valueOf(d.toSeconds()) : String.valueOf(d.toMillis() / 1000.0);
    }

    private static void installHook() {
        if (hookInstalled) {
            return;
        }
        synchronized (NativeExitGuard.class) {
            if (hookInstalled) {
                return;
            }
            try {
                Runtime.getRuntime().addShutdownHook(new Thread(() -> PROCESS.closeForExit(EXIT_WAIT),
                        "tracedistill-native-exit-guard"));
            } catch (IllegalStateException alreadyExiting) {
                // The JVM is exiting and no hook of ours runs: start no libtorch work any more.
                PROCESS.lock.writeLock().lock();
            }
            hookInstalled = true;
        }
    }
}
