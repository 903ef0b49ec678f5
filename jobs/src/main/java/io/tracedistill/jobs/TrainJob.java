package io.tracedistill.jobs;

/** {@code spark-submit --class io.tracedistill.jobs.TrainJob tracedistill-jobs-all.jar [args]} = {@code tracedistill train [args]}. */
public final class TrainJob {
    private TrainJob() {}

    public static void main(String[] args) {
        String[] all = new String[args.length + 1];
        all[0] = "train";
        System.arraycopy(args, 0, all, 1, args.length);
        System.exit(Cli.run(all, System.out, System.err));
    }
}
