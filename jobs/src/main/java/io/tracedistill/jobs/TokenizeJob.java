package io.tracedistill.jobs;

/** {@code spark-submit --class io.tracedistill.jobs.TokenizeJob tracedistill-jobs-all.jar [args]} = {@code tracedistill tokenize [args]}. */
public final class TokenizeJob {
    private TokenizeJob() {}

    public static void main(String[] args) {
        String[] all = new String[args.length + 1];
        all[0] = "tokenize";
        System.arraycopy(args, 0, all, 1, args.length);
        System.exit(Cli.run(all, System.out, System.err));
    }
}
