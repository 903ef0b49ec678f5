package io.tracedistill.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The sample-data generator: deterministic, well-formed rows whose traces end in the right box. */
class SampleDataGeneratorTest {
    @Test
    void sameSeedSameRowsOtherSeedOtherRows() throws IOException {
        StringWriter a = new StringWriter();
        StringWriter b = new StringWriter();
        StringWriter c = new StringWriter();
        new SampleDataGenerator(1).writeCsv(a, 0, 50);
        new SampleDataGenerator(1).writeCsv(b, 0, 50);
        new SampleDataGenerator(2).writeCsv(c, 0, 50);
        assertEquals(a.toString(), b.toString());
        assertNotEquals(a.toString(), c.toString());
        assertTrue(a.toString().startsWith("id,prompt,generated_cot,answer,type\n"));
    }

    @Test
    void romanNumeralsAndBinary() {
        assertEquals("XLIX", SampleDataGenerator.toRoman(49));
        assertEquals("MCMXCIV", SampleDataGenerator.toRoman(1994));
        assertEquals("IV", SampleDataGenerator.toRoman(4));
        assertEquals("00000101", SampleDataGenerator.bin8(5));
        assertEquals("11111111", SampleDataGenerator.bin8(-1));
    }

    @Test
    void csvFieldQuotesPerRfc4180() {
        assertEquals("plain", SampleDataGenerator.csvField("plain"));
        assertEquals("\"a,b\"", SampleDataGenerator.csvField("a,b"));
        assertEquals("\"say \"\"hi\"\"\"", SampleDataGenerator.csvField("say \"hi\""));
        assertEquals("\"two\nlines\"", SampleDataGenerator.csvField("two\nlines"));
        assertEquals("", SampleDataGenerator.csvField(null));
    }

    @Test
    void tracesEndInTheirAnswerBoxAndBadRowsAreWhereDocumented() {
        SampleDataGenerator g = new SampleDataGenerator(20240601L);
        Map<String, Integer> perType = new HashMap<>();
        int slips = 0;
        for (long id = 0; id < 3000; id++) {
            SampleDataGenerator.Row r = g.next(id);
            if (id % SampleDataGenerator.BAD_EVERY == SampleDataGenerator.BAD_EVERY - 1) {
                assertTrue(r.cot().length() < 5 || r.type() == null, "bad row " + id);
                continue;
            }
            perType.merge(r.type(), 1, Integer::sum);
            assertTrue(r.cot().length() >= 60 && r.cot().length() <= 600, "trace length of row " + id);
            assertTrue(!r.answer().contains("{") && !r.answer().contains("}"), "answer has no braces: " + r.answer());
            boolean boxed = r.cot().endsWith("\\boxed{" + r.answer() + "}");
            if (!boxed) {
                assertEquals("gravity", r.type(), "only gravity traces slip: row " + id);
                slips++;
            }
            if (r.type().equals("bit_manipulation")) {
                assertTrue(r.answer().matches("[01]{8}"), r.answer());
            }
            if (r.type().equals("numeral_system")) {
                assertTrue(r.answer().matches("[IVXLC]+"), r.answer());
            }
        }
        assertEquals(SampleDataGenerator.TYPES.size(), perType.size(), perType.toString());
        assertTrue(perType.get("cryptarithm_deduce") < perType.get("gravity"), "hard families are rarer: " + perType);
        assertTrue(slips > 0 && slips < 40, "a few teacher slips: " + slips);
    }
}
