package io.tracedistill.python;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Python str()/repr() of typed cells; expected strings were produced by CPython 3.11 repr(). */
class PyValueTest {

    /** {raw IEEE bits, CPython 3.11 repr}: tricky values plus 60 seeded random doubles. */
    private static final String[][] PYTHON_FLOAT_REPRS = {
            {"0x0000000000000001", "5e-324"},
            {"0x7fefffffffffffff", "1.7976931348623157e+308"},
            {"0x3fd3333333333334", "0.30000000000000004"},
            {"0x4480f0cf064dd592", "1e+22"},
            {"0x44b52d02c7e14af6", "1e+23"},
            {"0x44c52d02c7e14af6", "2e+23"},
            {"0x447c7e83209e90b2", "8.41e+21"},
            {"0x4340000000000000", "9007199254740992.0"},
            {"0x4341c37937e08000", "1e+16"},
            {"0x430c6bf526340000", "1000000000000000.0"},
            {"0x437b69b4ba630f35", "1.2345678901234568e+17"},
            {"0x3f1a36e2eb1c432d", "0.0001"},
            {"0x3ee4f8b588e368f1", "1e-05"},
            {"0x3e7ad7f29abcaf48", "1e-07"},
            {"0x4004000000000000", "2.5"},
            {"0xbde49da7e361ce4c", "-1.5e-10"},
            {"0x4011666666666666", "4.35"},
            {"0x3fd3333333333333", "0.3"},
            {"0x0010000000000000", "2.2250738585072014e-308"},
            {"0x4059000000000000", "100.0"},
            {"0x4132d68720000000", "1234567.125"},
            {"0x3f0a36e2eb1c432d", "5e-05"},
            {"0x41cdcd6500000000", "1000000000.0"},
            {"0xf2a74de452e6b438", "-1.989032661366619e+244"},
            {"0x6513270e269e0d37", "7.761117632285041e+178"},
            {"0x0c5c7fd0a6a3a450", "3.980498358697587e-249"},
            {"0xd23f0824128b2f33", "-1.5432835417340557e+88"},
            {"0x1818e811892f902b", "1.3647584518757569e-192"},
            {"0x9531985d5d9dc9f8", "-1.3701135617873088e-206"},
            {"0xe8e25d940ed90475", "-1.7160537630466207e+197"},
            {"0x36f675cc81e74ef5", "6.294675241195386e-44"},
            {"0x1600a35a099950d8", "1.0613447212142254e-202"},
            {"0x6b0d549b6f03675a", "4.708325160387546e+207"},
            {"0x3d9c172411e20b8f", "6.387016158513563e-12"},
            {"0x8d116ece1738f7d9", "-9.973130378568733e-246"},
            {"0x0f21ddb66cad4a26", "8.779753225680271e-236"},
            {"0x90c192cfd3ac94af", "-5.795503248498993e-228"},
            {"0xf28c105d1fb17c23", "-5.988180159386011e+243"},
            {"0xa170b33839263059", "-1.306052388527796e-147"},
            {"0x953f48f1a09f76b5", "-2.436117699484841e-206"},
            {"0x0fd630f1f29d0da9", "2.233386999150174e-232"},
            {"0x95e60af593bd04cf", "-3.51527970626667e-203"},
            {"0x0cb1e29c658cda14", "1.5987381841032883e-247"},
            {"0x3898d190f9ebdacc", "4.6678633181812096e-36"},
            {"0x8e81973e0becd7b0", "-8.441872792105456e-239"},
            {"0x2217beaddbc496cb", "1.9015657400796622e-144"},
            {"0x6b4cb2424a23d596", "7.370437700706684e+208"},
            {"0x8a6a63ec24ede6a4", "-1.7163996725272777e-258"},
            {"0x922766581e27a1c0", "-3.2367190832119987e-221"},
            {"0x8f6d05584ef8aa38", "-2.2818334634712625e-234"},
            {"0xae97ba94d0eda82f", "-3.0536383926309363e-84"},
            {"0x1a61dbe22e44158b", "1.3449551894627777e-181"},
            {"0x923a736994e3bf91", "-7.317495976062606e-221"},
            {"0x301850c5a38fd547", "5.249822308814304e-77"},
            {"0x18f135d25f557203", "1.5450754142984396e-188"},
            {"0xb64ce4228c38fb29", "-3.953625698224792e-47"},
            {"0x907a70c31012f037", "-2.72491267476498e-229"},
            {"0x9e7769b10f4205b4", "-6.505141861548772e-162"},
            {"0x7f15052434b9b5df", "1.441484839555994e+304"},
            {"0x881ed162ae2eb154", "-1.4583679262758548e-269"},
            {"0xc6f877186d76b07e", "-7.939416668807721e+33"},
            {"0x7731af10506bf2ef", "1.4255183989699612e+266"},
            {"0xec66a78795e761d1", "-1.525315701232403e+214"},
            {"0xc05768665ae6aeb0", "-93.63124725844932"},
            {"0xc0790774c2fe4b30", "-400.46600627263524"},
            {"0x408266125b378892", "588.7589630449822"},
            {"0x4078dfd266af5188", "397.9888674591425"},
            {"0xc07ffce96258947b", "-511.80697855569423"},
            {"0x40629b1e11a1fe30", "148.84742051734202"},
            {"0x4049324e12e3b920", "50.393007622902815"},
            {"0x408772332e8ef38c", "750.2749911468577"},
            {"0x407cae3fcfa35634", "458.89057887843524"},
            {"0xc07a81fdd47c29fa", "-424.1244702196269"},
            {"0x408e02cc2ce266d8", "960.3496949851642"},
            {"0xc087def292802266", "-763.8684434900758"},
            {"0xc0647823b0184da0", "-163.75435642954562"},
            {"0x408012413f5c1c92", "514.2818591304988"},
            {"0xc085c03f589575a8", "-696.0309306789904"},
            {"0xc03612e47e934e40", "-22.073799048388764"},
            {"0xc08cccaf133bf63c", "-921.5854859051246"},
            {"0x407506e84bf67b60", "336.4317130687905"},
            {"0x40808922449c26c8", "529.1417324256263"},
            {"0x406241a90168c0d8", "146.05188055476788"},
    };

    static Stream<Arguments> floats() {
        return Arrays.stream(PYTHON_FLOAT_REPRS).map(r -> Arguments.of(r[1], r[0]));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("floats")
    void floatReprMatchesCPython(String expected, String bitsHex) {
        double x = Double.longBitsToDouble(Long.parseUnsignedLong(bitsHex.substring(2), 16));
        assertEquals(expected, PyText.floatRepr(x));
        assertEquals(expected, new PyValue.Float(x).pyStr());
    }

    /** 5,831 more bit patterns (random bits, decimals, powers of ten, subnormals) with CPython 3.11.7's repr. */
    @Test
    void floatReprMatchesCPythonOnBulkSample() throws java.io.IOException {
        int checked = 0;
        java.util.List<String> mismatches = new java.util.ArrayList<>();
        try (var in = PyValueTest.class.getResourceAsStream("/cpython311_float_repr.txt");
             var reader = new java.io.BufferedReader(new java.io.InputStreamReader(in, java.nio.charset.StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split(" ");
                double x = Double.longBitsToDouble(Long.parseUnsignedLong(parts[0], 16));
                String actual = PyText.floatRepr(x);
                if (!actual.equals(parts[1])) {
                    mismatches.add(parts[0] + ": expected " + parts[1] + " got " + actual);
                }
                checked++;
            }
        }
        System.out.println("floatRepr bulk sample: " + checked + " values, " + mismatches.size() + " mismatches");
        assertEquals(5831, checked);
        assertEquals(java.util.List.of(), mismatches);
    }

    @Test
    void specialFloats() {
        assertEquals("nan", PyText.floatRepr(Double.NaN));
        assertEquals("inf", PyText.floatRepr(Double.POSITIVE_INFINITY));
        assertEquals("-inf", PyText.floatRepr(Double.NEGATIVE_INFINITY));
        assertEquals("-0.0", PyText.floatRepr(-0.0));
        assertEquals("0.0", PyText.floatRepr(0.0));
        assertEquals("4.0", PyText.floatRepr(4.0));
        assertEquals("1e+16", PyText.floatRepr(1e16));
        assertEquals("1000000000000000.0", PyText.floatRepr(1e15));
        assertEquals("10000000.0", PyText.floatRepr(1e7));
        assertEquals("0.0001", PyText.floatRepr(1e-4));
        assertEquals("1e-05", PyText.floatRepr(1e-5));
    }

    @Test
    void strOfScalars() {
        assertEquals("None", PyValue.none().pyStr());
        assertEquals("True", new PyValue.Bool(true).pyStr());
        assertEquals("False", new PyValue.Bool(false).pyStr());
        assertEquals("-12345678901234567890", new PyValue.Int(new BigInteger("-12345678901234567890")).pyStr());
        assertEquals("text", PyValue.str("text").pyStr());
        assertTrue(new PyValue.Float(Double.NaN).isNaN());
    }

    @Test
    void ofJavaMapsReaderValues() {
        assertEquals(PyValue.none(), PyValue.ofJava(null));
        assertEquals(PyValue.Int.of(3), PyValue.ofJava(3));
        assertEquals(new PyValue.Float(3.0), PyValue.ofJava(3.0));
        assertEquals(new PyValue.Bool(true), PyValue.ofJava(Boolean.TRUE));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PyValue.ofJava(new Object()));
        assertTrue(e.getMessage().contains("java.lang.Object"), e.getMessage());
    }

    @Test
    void fromGoldenRejectsUnknownKind() {
        var node = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("t", "complex").put("v", "1j");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PyValue.fromGolden(node));
        assertTrue(e.getMessage().contains("complex"), e.getMessage());
    }
}
