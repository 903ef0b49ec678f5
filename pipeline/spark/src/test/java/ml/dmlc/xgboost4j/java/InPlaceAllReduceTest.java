package ml.dmlc.xgboost4j.java;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pins what {@link InPlaceAllReduce} relies on in xgboost4j (a package-private JNI method, enum codes). */
class InPlaceAllReduceTest {

    @Test
    void theJniAllReduceHasTheSignatureWeCall() throws Exception {
        Method m = XGBoostJNI.class.getDeclaredMethod("CommunicatorAllreduce", ByteBuffer.class, int.class, int.class, int.class);
        assertEquals(int.class, m.getReturnType(), "returns the native return code");
        assertTrue(Modifier.isNative(m.getModifiers()) && Modifier.isStatic(m.getModifiers()));
    }

    @Test
    void enumCodesAreXgboostsDataTypesAndSum() {
        // xgboost's ArrayInterface type codes (c_api.h): kF4 = 1, kI8 = 7; Op kSum = 2.
        assertEquals(1, InPlaceAllReduce.FLOAT32);
        assertEquals(7, InPlaceAllReduce.INT64);
        assertEquals(2, InPlaceAllReduce.SUM);
    }
}
