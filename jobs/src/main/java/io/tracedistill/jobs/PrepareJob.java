package io.tracedistill.jobs;

/** {@code spark-submit --class io.tracedistill.jobs.PrepareJob tracedistill-jobs-all.jar [args]} = {@code tracedistill prepare [args]}. */
public final class PrepareJob {
    private PrepareJob() {}

    public static void main(String[] args) {
        String[] all = new String[args.length + 1];
        all[0] = "prepare";
        System.arraycopy(args, 0, all, 1, args.length);
        System.exit(Cli.run(all, System.out, System.err));
    }
}
