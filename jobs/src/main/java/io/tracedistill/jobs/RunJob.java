package io.tracedistill.jobs;

/** {@code spark-submit --class io.tracedistill.jobs.RunJob tracedistill-jobs-all.jar [args]} = {@code tracedistill run [args]}. */
public final class RunJob {
    private RunJob() {}

    public static void main(String[] args) {
        String[] all = new String[args.length + 1];
        all[0] = "run";
        System.arraycopy(args, 0, all, 1, args.length);
        System.exit(Cli.run(all, System.out, System.err));
    }
}
