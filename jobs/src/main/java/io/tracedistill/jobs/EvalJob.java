package io.tracedistill.jobs;

/** {@code spark-submit --class io.tracedistill.jobs.EvalJob tracedistill-jobs-all.jar [args]} = {@code tracedistill eval [args]}. */
public final class EvalJob {
    private EvalJob() {}

    public static void main(String[] args) {
        String[] all = new String[args.length + 1];
        all[0] = "eval";
        System.arraycopy(args, 0, all, 1, args.length);
        System.exit(Cli.run(all, System.out, System.err));
    }
}
