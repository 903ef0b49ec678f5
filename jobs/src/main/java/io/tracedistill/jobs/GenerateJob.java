package io.tracedistill.jobs;

/** {@code spark-submit --class io.tracedistill.jobs.GenerateJob tracedistill-jobs-all.jar [args]} = {@code tracedistill generate [args]}. */
public final class GenerateJob {
    private GenerateJob() {}

    public static void main(String[] args) {
        String[] all = new String[args.length + 1];
        all[0] = "generate";
        System.arraycopy(args, 0, all, 1, args.length);
        System.exit(Cli.run(all, System.out, System.err));
    }
}
