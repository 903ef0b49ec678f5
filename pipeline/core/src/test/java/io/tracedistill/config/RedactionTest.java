package io.tracedistill.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Issue 17 item 11: secrets in URI user-info never reach a file we write. */
class RedactionTest {

    @Test
    void userInfoIsMaskedAndTheRestOfThePathKept() {
        assertEquals("s3a://***@bucket/dir/data.csv", Redaction.text("s3a://AKIAKEY:se%2Fcret@bucket/dir/data.csv"));
        assertEquals("hdfs://***@nn:8020/x", Redaction.text("hdfs://user@nn:8020/x"));
        assertEquals("No input files at data_path 's3a://***@b/p' (under 's3a://***@c/q')",
                Redaction.text("No input files at data_path 's3a://K:S@b/p' (under 's3a://K2:S2@c/q')"));
        for (String plain : List.of("s3a://bucket/a@b.csv", "/local/a@b", "user@host", "file:///tmp/x", "")) {
            assertEquals(plain, Redaction.text(plain));
        }
    }

    /** resolved_config.yaml and the manifests' copy of it hold no secret. */
    @Test
    void resolvedConfigHoldsNoSecret() {
        RunConfig cfg = ConfigLoader.parse("base_model: m\ndata_path: 's3a://AKIAKEY:TOPSECRET@bucket/cot.csv'\n"
                + "hard_types: [t]\neval_path: 's3a://K:EVALSECRET@b/e.jsonl'\n", "conf/x.yaml");
        String yaml = cfg.toYaml();
        assertFalse(yaml.contains("TOPSECRET") || yaml.contains("AKIAKEY") || yaml.contains("EVALSECRET"), yaml);
        assertTrue(yaml.contains("s3a://***@bucket/cot.csv"), yaml);
        Map<String, Object> pub = cfg.toRedactedMap();
        assertEquals("s3a://***@bucket/cot.csv", pub.get("data_path"));
        assertEquals("s3a://AKIAKEY:TOPSECRET@bucket/cot.csv", cfg.data().dataPath(), "the run itself still uses the secret");
    }
}
