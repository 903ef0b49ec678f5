package io.tracedistill.spark;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.AmazonServiceException;
import com.amazonaws.SdkClientException;
import org.junit.jupiter.api.Test;

/**
 * Which failed attempts {@link S3aRetryLog} reports: waits for the endpoint, not answers. A HEAD's 404 (every
 * existence check of a file not written yet) was logged as a retry in the standalone-cluster test's run.
 */
class S3aRetryLogTest {

    private static AmazonServiceException answer(int status, String code) {
        AmazonServiceException e = new AmazonServiceException("status " + status);
        e.setStatusCode(status);
        e.setErrorCode(code);
        return e;
    }

    @Test
    void answersAreNotWaits() {
        assertFalse(S3aRetryLog.waitsForEndpoint(answer(404, "404 Not Found")), "HEAD of a missing key");
        assertFalse(S3aRetryLog.waitsForEndpoint(answer(403, "AccessDenied")));
        assertFalse(S3aRetryLog.waitsForEndpoint(answer(400, "InvalidRequest")));
    }

    @Test
    void noAnswerServerErrorsAndThrottlingAreWaits() {
        assertTrue(S3aRetryLog.waitsForEndpoint(new SdkClientException("Unable to execute HTTP request: Connect refused")));
        assertTrue(S3aRetryLog.waitsForEndpoint(answer(500, "InternalError")));
        assertTrue(S3aRetryLog.waitsForEndpoint(answer(503, "SlowDown")));
        assertTrue(S3aRetryLog.waitsForEndpoint(answer(429, "TooManyRequests")));
        assertTrue(S3aRetryLog.waitsForEndpoint(answer(400, "Throttling")), "throttling by error code");
    }
}
