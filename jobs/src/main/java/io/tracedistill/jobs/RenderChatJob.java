package io.tracedistill.jobs;

/** {@code spark-submit --class io.tracedistill.jobs.RenderChatJob tracedistill-jobs-all.jar [args]} = {@code tracedistill render-chat [args]}. */
public final class RenderChatJob {
    private RenderChatJob() {}

    public static void main(String[] args) {
        String[] all = new String[args.length + 1];
        all[0] = "render-chat";
        System.arraycopy(args, 0, all, 1, args.length);
        System.exit(Cli.run(all, System.out, System.err));
    }
}
