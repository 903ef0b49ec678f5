package io.tracedistill.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tracedistill.config.MetricForBest;
import io.tracedistill.run.Phase;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The report's held-out section for two-phase runs and for runs that trained phase 1 only (experiment arms). */
class HeldOutReportTest {

    /** A record with two types: {@code hard} (2 examples, 10 targets) and {@code easy} (3 examples, 30 targets). */
    private static MetricsLog.HeldOutEntry record(Phase phase, int step, double hard, double easy) {
        Map<String, HeldOutLoss.TypeLoss> byType = new LinkedHashMap<>();
        byType.put("hard", new HeldOutLoss.TypeLoss(hard, 10, 2));
        byType.put("easy", new HeldOutLoss.TypeLoss(easy, 30, 3));
        return new MetricsLog.HeldOutEntry(phase, step, new HeldOutLoss((hard * 10 + easy * 30) / 40, 40, byType), false);
    }

    @Test
    void aOnePhaseRunGetsItsStartAndEndTableInsteadOfTheMissingRecordSentence() {
        List<MetricsLog.HeldOutEntry> records = List.of(record(Phase.PHASE1, 0, 12.0, 11.0), record(Phase.PHASE1, 6, 8.0, 9.0),
                record(Phase.PHASE1, 12, 6.0, 7.0));
        String md = HeldOutReport.markdown(records, List.of("hard"), MetricForBest.LOSS);
        assertTrue(md.contains("trained phase 1 only"), md);
        assertFalse(md.contains("no held-out record"), md);
        // hand-checked: hard 12 -> 6 (-6), easy 11 -> 7 (-4), overall (12*10+11*30)/40 = 11.25 -> (60+210)/40 = 6.75
        assertTrue(md.contains("| **hard** (hard) | 2 | 12.0000 | 6.0000 | -6.0000 |"), md);
        assertTrue(md.contains("| easy | 3 | 11.0000 | 7.0000 | -4.0000 |"), md);
        assertTrue(md.contains("| overall | 5 | 11.2500 | 6.7500 | -4.5000 |"), md);
    }

    @Test
    void aTwoPhaseRunKeepsTheNudgeSentenceAndTheOnePhaseFormIsNotUsed() {
        List<MetricsLog.HeldOutEntry> records = List.of(record(Phase.PHASE1, 0, 12.0, 11.0), record(Phase.PHASE1, 6, 8.0, 9.0),
                record(Phase.PHASE2, 4, 7.0, 9.5));
        assertNull(HeldOutReport.onePhase(records));
        assertNotNull(HeldOutReport.points(records));
        String md = HeldOutReport.markdown(records, List.of("hard"), MetricForBest.LOSS);
        assertTrue(md.contains("Phase 2 (Nudge) lowered the hard types' held-out loss (hard) from 8.0000 to 7.0000 (-1.0000)"), md);
        assertFalse(md.contains("phase 1 only"), md);
    }

    @Test
    void onlyTheStartRecordIsNotATable() {
        String md = HeldOutReport.markdown(List.of(record(Phase.PHASE1, 0, 12.0, 11.0)), List.of("hard"), MetricForBest.LOSS);
        assertTrue(md.contains("no held-out record"), md);
    }
}
