package io.tracedistill.spark;

import com.amazonaws.AmazonServiceException;
import com.amazonaws.AmazonWebServiceRequest;
import com.amazonaws.Request;
import com.amazonaws.handlers.HandlerAfterAttemptContext;
import com.amazonaws.handlers.HandlerBeforeAttemptContext;
import com.amazonaws.handlers.HandlerContextKey;
import com.amazonaws.handlers.RequestHandler2;
import com.amazonaws.retry.RetryUtils;
import io.tracedistill.config.Redaction;
import java.util.Locale;

/**
 * One log line per S3 request attempt that failed without an answer (see {@link #waitsForEndpoint}), naming the operation, the bucket and key, the endpoint it is waiting
 * for, the attempt and how long it took, and why it failed. Hadoop 3.3.4's S3A and the AWS SDK v1 under it log retries
 * only at debug, so a dead or silent endpoint used to print nothing while it retried (issue 17 #8).
 *
 * <p>Installed through S3A's documented hook for extra SDK request handlers ({@code fs.s3a.audit.request.handlers},
 * which S3A 3.3.4 reads only with {@code fs.s3a.audit.enabled=true}); {@link SparkSessions#S3A_RETRY_LOG} fills those
 * keys in with the no-op auditor, so no audit header is added to requests. A value the user set wins.
 *
 * <p>Nothing secret is logged: not the request's headers or handler context (they carry the signature and the
 * credentials), only the operation, bucket, key and endpoint (user-info redacted), and the error's class, status and
 * code or its message (redacted).
 */
public final class S3aRetryLog extends RequestHandler2 {
    /** The logger the lines go to (warning level). */
    public static final String LOGGER = S3aRetryLog.class.getName();
    private static final System.Logger LOG = System.getLogger(LOGGER);
    private static final HandlerContextKey<Integer> ATTEMPT = new HandlerContextKey<>("tracedistill.attempt");
    private static final HandlerContextKey<Long> STARTED = new HandlerContextKey<>("tracedistill.attemptStarted");

    /** S3A creates it by its no-argument constructor. */
    public S3aRetryLog() {}

    @Override
    public void beforeAttempt(HandlerBeforeAttemptContext context) {
        Request<?> r = context.getRequest();
        Integer previous = r.getHandlerContext(ATTEMPT);
        r.addHandlerContext(ATTEMPT, previous == null ? 1 : previous + 1);
        r.addHandlerContext(STARTED, System.nanoTime());
    }

    @Override
    public void afterAttempt(HandlerAfterAttemptContext context) {
        Exception e = context.getException();
        if (e == null || !waitsForEndpoint(e)) {
            return;
        }
        Request<?> r = context.getRequest();
        Integer attempt = r.getHandlerContext(ATTEMPT);
        Long started = r.getHandlerContext(STARTED);
        double seconds = started == null ? Double.NaN : (System.nanoTime() - started) / 1e9;
        LOG.log(System.Logger.Level.WARNING, line(operation(r), bucket(r.getOriginalRequest()), key(r.getOriginalRequest()),
                r.getEndpoint() == null ? "?" : r.getEndpoint().toString(), attempt == null ? 1 : attempt, seconds, e));
    }

    /**
     * Whether a failed attempt means waiting for the endpoint (the SDK retries it): no answer, a connection error, a
     * 5xx, or throttling. A 4xx answer (a HEAD's 404 for a file that does not exist yet, a 403) is an answer, not a
     * wait: S3A reports it itself when it matters, and logging every existence check would bury the real retries.
     */
    static boolean waitsForEndpoint(Exception e) {
        if (e instanceof AmazonServiceException s) {
            return s.getStatusCode() >= 500 || s.getStatusCode() == 429 || RetryUtils.isThrottlingException(s);
        }
        return true;
    }

    /**
     * {@code S3 ListObjectsV2 on bucket 'b', key 'data/' at http://host:9000: attempt 1 failed after 5.0 s
     * (SdkClientException: Unable to execute HTTP request: Connect to ... refused); ...}.
     */
    static String line(String operation, String bucket, String key, String endpoint, int attempt, double seconds,
            Exception e) {
        return String.format(Locale.ROOT, "S3 %s on bucket '%s'%s at %s: attempt %d failed after %.1f s (%s); waiting"
                        + " for the endpoint to answer: the S3 client retries up to fs.s3a.attempts.maximum times and"
                        + " S3A up to fs.s3a.retry.limit times, each attempt bounded by fs.s3a.connection.timeout",
                operation, bucket, key == null || key.isEmpty() ? "" : ", key '" + key + "'", Redaction.text(endpoint),
                attempt, seconds, cause(e));
    }

    private static String cause(Exception e) {
        if (e instanceof AmazonServiceException s) {
            return s.getClass().getSimpleName() + ": HTTP " + s.getStatusCode() + " " + s.getErrorCode();
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage() == null ? "" : ": " + Redaction.text(root.getMessage());
        return e.getClass().getSimpleName() + (root == e ? "" : " ← " + root.getClass().getSimpleName()) + m;
    }

    private static String operation(Request<?> r) {
        String name = r.getHandlerContext(HandlerContextKey.OPERATION_NAME);
        if (name != null) {
            return name;
        }
        AmazonWebServiceRequest o = r.getOriginalRequest();
        String simple = o == null ? "request" : o.getClass().getSimpleName();
        return simple.endsWith("Request") ? simple.substring(0, simple.length() - "Request".length()) : simple;
    }

    private static String bucket(Object request) {
        return property(request, "getBucketName", "?");
    }

    private static String key(Object request) {
        String key = property(request, "getKey", null);
        return key != null ? key : property(request, "getPrefix", null);
    }

    /** A String getter of an SDK request class, if it has one (S3's request classes share no interface for it). */
    private static String property(Object request, String getter, String otherwise) {
        if (request == null) {
            return otherwise;
        }
        try {
            Object v = request.getClass().getMethod(getter).invoke(request);
            return v instanceof String s ? s : otherwise;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return otherwise;
        }
    }
}
