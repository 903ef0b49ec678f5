package io.tracedistill.spark.prepare;

import io.tracedistill.testdata.SampleDataGenerator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The generated input the prepare end-to-end tests run on: {@value #ROWS} rows of {@code SampleDataGenerator(7)} in 3
 * CSV parts, with the generator's rows in memory so a test can compute the reference's split of them
 * ({@link ReferencePipeline}).
 *
 * @param dir the folder of CSV parts ({@code part-00000.csv} ...)
 * @param rows the rows written, in id order
 */
record GeneratedInput(Path dir, List<SampleDataGenerator.Row> rows) {
    static final long GENERATOR_SEED = 7;
    static final int ROWS = 900;
    static final int PARTS = 3;
    /** The run seed the tests prepare with. */
    static final long SEED = 42;
    static final List<String> HARD = List.of("bit_manipulation", "cryptarithm_deduce");

    /** Writes the parts into {@code dir} and regenerates the same rows in memory. */
    static GeneratedInput write(Path dir) {
        SampleDataGenerator.writeParts(GENERATOR_SEED, ROWS, PARTS, dir);
        SampleDataGenerator g = new SampleDataGenerator(GENERATOR_SEED);
        List<SampleDataGenerator.Row> rows = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            rows.add(g.next(i));
        }
        return new GeneratedInput(dir, List.copyOf(rows));
    }
}
