package io.tracedistill.jobs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tracedistill.config.ConfigLoader;
import io.tracedistill.config.RunConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17 item 11 at the job level: {@code s3a://KEY:SECRET@bucket/...} in a config reaches neither
 * {@code resolved_config.yaml} nor the failure message and stack trace a command prints.
 */
class SecretRedactionTest {

    @Test
    void resolvedConfigYamlHoldsNoSecret(@TempDir Path tmp) throws Exception {
        Path cfgFile = tmp.resolve("run.yaml");
        Files.writeString(cfgFile, "base_model: m\ndata_path: 's3a://AKIAKEY:TOPSECRET@bucket/cot.csv'\n"
                + "hard_types: [t]\noutput_dir: '" + tmp.resolve("out") + "'\n");
        RunConfig cfg = ConfigLoader.load(cfgFile);
        try (JobContext ctx = new JobContext(cfg, cfgFile, false, false, System.out)) {
            ctx.writeResolvedConfig();
        }
        String yaml = Files.readString(tmp.resolve("out/resolved_config.yaml"));
        assertFalse(yaml.contains("TOPSECRET") || yaml.contains("AKIAKEY"), yaml);
        assertTrue(yaml.contains("s3a://***@bucket/cot.csv"), yaml);
    }

    @Test
    void failureMessageAndStackTraceHoldNoSecret() {
        Exception e = new IllegalStateException("prepare failed",
                new UncheckedIOException("Cannot list data_path 's3a://AKIAKEY:TOPSECRET@bucket/cot.csv'",
                        new java.io.IOException("s3a://AKIAKEY:TOPSECRET@bucket/cot.csv: 403")));
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Cli.printFailure("prepare", e, new PrintStream(buf, true, StandardCharsets.UTF_8));
        String printed = buf.toString(StandardCharsets.UTF_8);
        assertFalse(printed.contains("TOPSECRET") || printed.contains("AKIAKEY"), printed);
        assertTrue(printed.contains("s3a://***@bucket/cot.csv") && printed.contains("at io.tracedistill"), printed);
    }
}
