package io.tracedistill.jobs;

import io.tracedistill.config.ExperimentArm;
import io.tracedistill.config.RunConfig;
import io.tracedistill.config.TrainOn;
import io.tracedistill.config.Redaction;
import io.tracedistill.eval.ArmSpec;
import io.tracedistill.eval.EvalSettings;
import io.tracedistill.run.OutputLayout;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code tracedistill experiment --cfg FILE}: the reference's four-arm experiment
 * ({@code examples/gsm8k_trace_distillation.py}) as one command, each arm in its own folder, reported side by side.
 *
 * <pre>
 * output_dir/
 *   data/                 prepare + tokenize once: the format contract, split, order, held-out slice (shared)
 *   arms/zero_shot/       the base model, no training (its resolved config; eval decodes it as arm "base")
 *   arms/answer_only/     prepared/ (contract rows, turn = &lt;/think&gt;\n\boxed{answer}), tokens/, one_phase/tokens/, adapter/
 *   arms/trace_1phase/    one_phase/tokens/ (data's rows, each once, one order), adapter/ (phase 1 settings only)
 *   arms/trace_2phase/    adapter/ trained on data/tokens (the normal Train -> Nudge run)
 *   eval/                 one eval over every arm (with eval_path): eval_report.md is arm x type
 *   experiment_report.md  arm x accuracy / parse rate / hard-type accuracy, held-out loss per type by arm
 * </pre>
 * Every folder has its own step ledger, so a re-run skips whatever is done (and {@code --force} redoes it). Training runs
 * on the driver ({@code train_on: driver}).
 */
final class ExperimentCommand {
    /** The shared data folder and the arms' parent folder, under output_dir. */
    static final String DATA = "data";
    static final String ARMS = "arms";
    /** Where a one-phase arm keeps its one-phase token set. */
    static final String ONE_PHASE = "one_phase";

    private ExperimentCommand() {
    }

    static int run(CliArgs a, PrintStream out, PrintStream err) throws Exception {
        a.options(Set.of(), Set.of()); // like the step commands: config and --set/--force/--resume only
        try (JobContext root = JobContext.open(a, out); OutputDirGuard guard = OutputDirGuard.acquire(root)) {
            RunConfig cfg = root.cfg();
            List<ExperimentArm> arms = cfg.experiment().arms();
            boolean trains = arms.stream().anyMatch(ExperimentArm::trains);
            if (trains && cfg.executorTraining().trainOn() == TrainOn.EXECUTORS) {
                throw new IllegalArgumentException("train_on: executors is not supported by tracedistill experiment"
                        + " (its arms train on the driver from shared token sets): set train_on: driver in " + root.cfgPath());
            }
            root.writeResolvedConfig();
            root.spark(); // one session for every arm: the arms' contexts join it and leave it running
            OutputLayout data = child(root, DATA);
            Map<ExperimentArm, OutputLayout> folders = folders(root, arms);
            if (trains) {
                section(out, "shared data", data);
                try (JobContext ctx = childContext(root, data)) {
                    Pipeline.run(ctx, List.of(new PrepareStep(), new TokenizeStep()));
                }
            }
            for (ExperimentArm arm : arms) {
                OutputLayout folder = folders.get(arm);
                section(out, "arm " + arm.yamlName() + " (" + arm.label() + ")", folder);
                try (JobContext ctx = childContext(root, folder)) {
                    Pipeline.run(ctx, steps(arm, data, OutputLayout.of(folder.root().resolve(ONE_PHASE).uri())));
                }
            }
            section(out, "eval of every arm", root.layout());
            Pipeline.run(root, List.of(new EvalStep(ctx -> evalArms(arms, folders))));
            String md = ExperimentReport.write(root.files(), root.layout(), arms, folders, cfg.data().hardTypes(),
                    cfg.lora().initAdapter().isEmpty());
            out.println();
            out.print(Redaction.text(md));
            out.println(Redaction.text("report: " + root.files().qualify(root.layout().root().resolve(ExperimentReport.MD)).uri()));
        }
        return 0;
    }

    /**
     * An arm's steps. The trained arms share {@code data}'s prepared and tokenized rows: {@code trace_2phase} trains on
     * them as they are, {@code trace_1phase} on their one-phase set, {@code answer_only} rewrites the assistant turns of
     * {@code data}'s prepared rows, tokenizes them, and trains on their one-phase set.
     */
    static List<Step> steps(ExperimentArm arm, OutputLayout data, OutputLayout onePhase) {
        return switch (arm) {
            case ZERO_SHOT -> List.of();
            case TRACE_2PHASE -> List.of(new TrainStep(ctx -> data, false));
            case TRACE_1PHASE -> List.of(new OnePhaseTokensStep(ctx -> data, ctx -> data, ctx -> onePhase),
                    new TrainStep(ctx -> onePhase, true));
            case ANSWER_ONLY -> List.of(new AnswerOnlyPrepareStep(ctx -> data), new TokenizeStep(),
                    new OnePhaseTokensStep(JobContext::layout, ctx -> data, ctx -> onePhase),
                    new TrainStep(ctx -> onePhase, true));
        };
    }

    /** The eval's arms: {@code base} (= zero_shot) first, then each trained arm's {@code adapter/}, named after the arm. */
    static List<ArmSpec> evalArms(List<ExperimentArm> arms, Map<ExperimentArm, OutputLayout> folders) {
        List<ArmSpec> out = new ArrayList<>();
        out.add(ArmSpec.base());
        for (ExperimentArm a : arms) {
            if (a.trains()) {
                out.add(new ArmSpec(a.yamlName(), EvalSettings.absolute(folders.get(a).adapter().uri())));
            }
        }
        return out;
    }

    /** Each arm's folder, {@code output_dir/arms/<arm>}. */
    static Map<ExperimentArm, OutputLayout> folders(JobContext root, List<ExperimentArm> arms) {
        Map<ExperimentArm, OutputLayout> out = new EnumMap<>(ExperimentArm.class);
        for (ExperimentArm a : arms) {
            out.put(a, child(root, ARMS + "/" + a.yamlName()));
        }
        return out;
    }

    private static OutputLayout child(JobContext root, String relative) {
        return OutputLayout.of(root.layout().root().resolve(relative).uri());
    }

    /** A context for a folder under output_dir: the same config, flags and Spark session. */
    private static JobContext childContext(JobContext root, OutputLayout folder) {
        return new JobContext(root.cfg().withOutputDir(folder.root().uri()), root.cfgPath(), root.force(), root.resume(),
                root.out());
    }

    private static void section(PrintStream out, String what, OutputLayout folder) {
        out.println(Redaction.text("== " + what + ": " + folder.root().uri()));
    }
}
