package io.tracedistill.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Hand-checked CPython 3.11 results of type(x).__name__, bool(x), repr(x) and str(x). */
class PyObjectsTest {

    private static final Date JULY_10 = new Date(1752105600000L);          // 2025-07-10T00:00:00Z
    private static final Date JULY_10_NOON = new Date(1752105600000L + 43_200_000L);

    @Test
    void typeNames() {
        assertEquals("NoneType", PyObjects.typeName(null));
        assertEquals("bool", PyObjects.typeName(true));
        assertEquals("int", PyObjects.typeName(3));
        assertEquals("int", PyObjects.typeName(BigInteger.TEN.pow(30)));
        assertEquals("float", PyObjects.typeName(1.5f));
        assertEquals("str", PyObjects.typeName("a"));
        assertEquals("tuple", PyObjects.typeName(new PyTuple(1, 2)));
        assertEquals("list", PyObjects.typeName(List.of()));
        assertEquals("set", PyObjects.typeName(Set.of()));
        assertEquals("dict", PyObjects.typeName(Map.of()));
        assertEquals("bytes", PyObjects.typeName(new byte[0]));
        assertEquals("datetime.date", PyObjects.typeName(JULY_10));
        assertEquals("datetime.datetime", PyObjects.typeName(JULY_10_NOON));
    }

    @Test
    void truthiness() {
        for (Object falsy : Arrays.asList(null, false, 0, 0L, BigInteger.ZERO, 0.0, -0.0f, "", List.of(), Set.of(),
                Map.of(), new byte[0])) {
            assertFalse(PyObjects.truthy(falsy), String.valueOf(falsy));
        }
        for (Object truthy : Arrays.asList(true, -1, Double.NaN, " ", List.of(0), Map.of("", ""), new byte[1], JULY_10)) {
            assertTrue(PyObjects.truthy(truthy), String.valueOf(truthy));
        }
    }

    @Test
    void reprAndStr() {
        Map<Object, Object> d = new LinkedHashMap<>();
        d.put("a", 1e-5);
        d.put(2, Arrays.asList(null, true, "it's"));
        assertEquals("{'a': 1e-05, 2: [None, True, \"it's\"]}", PyObjects.repr(d));
        assertEquals("(1,)", PyObjects.repr(new PyTuple(1L)));
        assertEquals("('a', 2.0)", PyObjects.repr(new PyTuple("a", 2.0)));
        assertEquals("set()", PyObjects.repr(Set.of()));
        assertEquals("{1, 'x'}", PyObjects.repr(new LinkedHashSet<>(List.of(1, "x"))));
        assertEquals("datetime.date(2025, 7, 10)", PyObjects.repr(JULY_10));
        assertEquals("2025-07-10", PyObjects.str(JULY_10));
        assertEquals("abc", PyObjects.str("abc"));
        assertEquals("'abc'", PyObjects.repr("abc"));
        assertEquals("4.0", PyObjects.str(4.0));
        assertEquals("'x'", PyObjects.repr(PyValue.str("x")));
        assertEquals("nan", PyObjects.repr(new PyValue.Float(Double.NaN)));
    }

    @Test
    void valuesOutsideTheModelUseTheCallersPrinterAlsoWhenNested() {
        Object opaque = new Object() {
            @Override
            public String toString() {
                return "opaque";
            }
        };
        assertEquals("'opaque'", PyObjects.repr(opaque), "default: repr of toString()");
        assertEquals("[1, <opaque>]", PyObjects.repr(List.of(1L, opaque), o -> "<" + o + ">"));
        assertEquals("{'k': <opaque>}", PyObjects.str(Map.of("k", opaque), o -> "<" + o + ">"));
    }
}
