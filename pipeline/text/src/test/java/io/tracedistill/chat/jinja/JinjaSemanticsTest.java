package io.tracedistill.chat.jinja;

import io.tracedistill.python.PyText;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Hand-checkable cases of the renderer's Python / jinja2 semantics: each expected string is what Python jinja2 3.1
 * prints under transformers' settings (trim_blocks, lstrip_blocks, immutable sandbox).
 */
class JinjaSemanticsTest {

    private static final LocalDateTime NOW = LocalDateTime.of(2025, 7, 10, 12, 0);

    static String render(String template) {
        return render(template, Map.of());
    }

    static String render(String template, Map<String, ?> vars) {
        return JinjaTemplate.compile(template, "t.jinja").render(vars, () -> NOW).text();
    }

    static Stream<Arguments> renders() {
        return Stream.of(
                // whitespace control
                Arguments.of("trim_blocks", "{% if true %}\nX\n{% endif %}\nY", "X\nY"),
                Arguments.of("lstrip_blocks", "  {% if true %}X{% endif %}", "X"),
                Arguments.of("lstrip_blocks after newline", "a\n\t {% if true %}X{% endif %}", "a\nX"),
                Arguments.of("lstrip_blocks not before text", "a {% if true %}X{% endif %}", "a X"),
                Arguments.of("no lstrip before {{", "  {{ 'X' }}", "  X"),
                Arguments.of("{%+ keeps indentation", "  {%+ if true %}X{% endif %}", "  X"),
                Arguments.of("- strips all whitespace", "a  \n  {%- if true -%}  \n b{% endif %}", "ab"),
                Arguments.of("+%} keeps the newline", "{% if true +%}\nX{% endif %}", "\nX"),
                Arguments.of("comment and trim_blocks", "a{# c #}\nb", "ab"),
                Arguments.of("-#}", "a{#- c -#}  \n b", "ab"),
                Arguments.of("newline after }} kept", "{{ 'a' }}\nb", "a\nb"),
                Arguments.of("one trailing newline dropped", "X\n\n", "X\n"),
                Arguments.of("CRLF normalised", "a\r\nb", "a\nb"),
                Arguments.of("raw", "{% raw %}{{ x }}{% endraw %}", "{{ x }}"),
                Arguments.of("- strips U+00A0 too", "a\u00a0{{- 'b' }}", "ab"),
                // printing Python values
                Arguments.of("list repr", "{{ [1, 'a', none, true, 1.5] }}", "[1, 'a', None, True, 1.5]"),
                Arguments.of("dict repr", "{{ {'a': 1, 'b': [false]} }}", "{'a': 1, 'b': [False]}"),
                Arguments.of("repr quote choice", "{{ [\"it's\", 'a\"b', 'x\\ny'] }}", "[\"it's\", 'a\"b', 'x\\ny']"),
                Arguments.of("tuple repr", "{{ ('a', 1) }}{{ (1,) }}", "('a', 1)(1,)"),
                Arguments.of("true division", "{{ 10 / 4 }} {{ 4 / 2 }}", "2.5 2.0"),
                Arguments.of("floor division and modulo", "{{ 10 // 4 }} {{ -7 // 2 }} {{ -7 % 3 }}", "2 -4 2"),
                Arguments.of("float repr", "{{ 0.1 + 0.2 }} {{ 1e16 }} {{ 1e-5 }} {{ 1.0 }}", "0.30000000000000004 1e+16 1e-05 1.0"),
                Arguments.of("~ stringifies", "{{ 1 ~ none ~ 'a' ~ true }}", "1NoneaTrue"),
                Arguments.of("None prints", "{{ none }}", "None"),
                Arguments.of("string literal escapes", "{{ 'a\\tb\\u00e9\\x41' }}", "a\tb\u00e9A"),
                Arguments.of("adjacent literals", "{{ 'a' 'b' }}", "ab"),
                Arguments.of("equality across int/float/bool", "{{ 1 == 1.0 }}{{ true == 1 }}{{ '1' == 1 }}", "TrueTrueFalse"),
                Arguments.of("chained comparison", "{{ 1 < 2 < 3 }}{{ 3 > 2 > 2 }}", "TrueFalse"),
                Arguments.of("and/or return operands", "{{ 0 or 'x' }}{{ 'a' and 'b' }}{{ '' and 'b' }}", "xb"),
                Arguments.of("list + list", "{{ [1] + [2] }}", "[1, 2]"),
                Arguments.of("in", "{{ 'b' in 'abc' }}{{ 2 in [1, 2] }}{{ 'k' in {'k': 1} }}{{ 3 not in [1] }}", "TrueTrueTrueTrue"),
                Arguments.of("inline if without else", "[{{ 'x' if false }}]", "[]"),
                Arguments.of("unary minus binds before filter", "{{ -3|abs }}", "3"),
                // filters
                Arguments.of("tojson", "{{ {'a': [1, 2.0, none, true], 'b': '\u00e9\"\\n'} | tojson }}",
                        "{\"a\": [1, 2.0, null, true], \"b\": \"\u00e9\\\"\\n\"}"),
                Arguments.of("tojson indent", "{{ {'a': [1], 'b': {}} | tojson(indent=2) }}",
                        "{\n  \"a\": [\n    1\n  ],\n  \"b\": {}\n}"),
                Arguments.of("tojson ensure_ascii", "{{ '\u00e9\uD83D\uDE00\u007f' | tojson(ensure_ascii=true) }}", "\"\\u00e9\\ud83d\\ude00\\u007f\""),
                Arguments.of("tojson separators / sort_keys", "{{ {'b': 1, 'a': [2]} | tojson(separators=(',', ':'), sort_keys=true) }}", "{\"a\":[2],\"b\":1}"),
                Arguments.of("string of dict is repr", "{{ {'k': true, 'e': '\u00e9'} | string }}", "{'k': True, 'e': '\u00e9'}"),
                Arguments.of("trim is Python strip", "{{ ' \u00a0x\u2007\n' | trim }}", "x"),
                Arguments.of("trim chars", "{{ 'xxhixx' | trim('x') }}", "hi"),
                Arguments.of("length counts code points", "{{ 'h\u00e9\uD83D\uDE00' | length }}", "3"),
                Arguments.of("default", "{{ none | default('d') }}|{{ none | default('d', true) }}|{{ nope | default('d') }}", "None|d|d"),
                Arguments.of("selectattr equalto", "{{ [{'r': 'u'}, {'r': 'a'}] | selectattr('r', 'equalto', 'u') | list }}", "[{'r': 'u'}]"),
                Arguments.of("selectattr undefined", "{{ [{'a': 1}, {}] | selectattr('a', 'undefined') | list }}", "[{}]"),
                Arguments.of("rejectattr", "{{ [{'r': 'u'}, {'r': 'a'}] | rejectattr('r', 'equalto', 'u') | map(attribute='r') | join }}", "a"),
                Arguments.of("reject + join", "{{ ['x', 'code', 'y'] | reject('equalto', 'code') | join(', ') }}", "x, y"),
                Arguments.of("select by test", "{{ [1, 'a', 2] | select('string') | list }}", "['a']"),
                Arguments.of("items", "{% for k, v in {'a': 1, 'b': 2} | items %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;"),
                Arguments.of("list of string", "{{ 'ab' | list }}", "['a', 'b']"),
                Arguments.of("sort / unique", "{{ [3, 1, 2] | sort }} {{ ['b', 'A', 'a'] | unique | list }}", "[1, 2, 3] ['b', 'A']"),
                Arguments.of("indent", "{{ 'a\nb' | indent(2) }}|{{ 'a\nb' | indent(2, true) }}", "a\n  b|  a\n  b"),
                Arguments.of("first / last", "{{ [1, 2, 3] | first }}{{ [1, 2, 3] | last }}", "13"),
                Arguments.of("int / float / round", "{{ '3' | int + 1 }} {{ 'x' | int }} {{ 2.5 | round }} {{ 3.14159 | round(2) }} {{ '1.5' | float }}",
                        "4 0 2.0 3.14 1.5"),
                Arguments.of("upper / lower / capitalize / title", "{{ 'aB' | upper }}{{ 'aB' | lower }}{{ 'aB c' | capitalize }}{{ 'a-b c' | title }}",
                        "ABabAb cA-B C"),
                Arguments.of("replace filter", "{{ 'a-b-c' | replace('-', '+', 1) }}", "a+b-c"),
                Arguments.of("format / %", "{{ '%s-%d' | format('a', 3) }} {{ 'x=%s' % 5 }} {{ '%05.1f' % 2.25 }}", "a-3 x=5 002.2"),
                Arguments.of("unknown filter in an untaken if branch", "{% if false %}{{ 1 | nosuch }}{% endif %}ok", "ok"),
                Arguments.of("unknown test in inline if", "{{ 'a' if true else 1 is nosuch }}", "a"),
                Arguments.of("truncate", "{{ 'hello world foo' | truncate(9, leeway=0) }}|{{ 'hello world' | truncate(9, true, leeway=0) }}|{{ 'abc' | truncate(3) }}",
                        "hello...|hello ...|abc"),
                Arguments.of("namespace from pairs", "{% set ns = namespace([['a', 1]], b=2) %}{{ ns.a }}{{ ns.b }}", "12"),
                Arguments.of("safe is the string", "{{ 1 | safe }}", "1"),
                // str methods
                Arguments.of("strip Python whitespace", "{{ ' \u00a0x\u00a0\u202f '.strip() }}", "x"),
                Arguments.of("split on whitespace runs", "{{ ' a  b\tc\n'.split() }}", "['a', 'b', 'c']"),
                Arguments.of("split with sep", "{{ 'a,b,,c'.split(',') }}", "['a', 'b', '', 'c']"),
                Arguments.of("split maxsplit", "{{ 'a b  c'.split(none, 1) }} {{ 'a,b,c'.rsplit(',', 1) }}", "['a', 'b  c'] ['a,b', 'c']"),
                Arguments.of("split [0] / [-1]", "{{ 'x</think>y</think>z'.split('</think>')[-1] }}{{ 'a</think>b'.split('</think>')[0] }}", "za"),
                Arguments.of("strip chars", "{{ '\n\nhi\n'.lstrip('\n') }}|{{ 'xyhiyx'.strip('xy') }}|{{ 'hi\n\n'.rstrip('\n') }}", "hi\n|hi|hi"),
                Arguments.of("startswith tuple", "{{ 'abc'.startswith(('x', 'a')) }}{{ 'abc'.endswith('bc') }}", "TrueTrue"),
                Arguments.of("replace / find / count", "{{ 'aaa'.replace('a', 'b', 2) }} {{ 'h\u00e9llo'.find('l') }} {{ 'aaa'.count('a') }}", "bba 2 3"),
                Arguments.of("title / upper / lower", "{{ 'hello wORLD'.title() }} {{ 'a'.upper() }}", "Hello World A"),
                Arguments.of("join", "{{ '-'.join(['a', 'b']) }}", "a-b"),
                Arguments.of("str.format", "{{ '{} and {name}'.format(1, name='x') }}", "1 and x"),
                Arguments.of("dict methods", "{{ {'a': 1}.get('a') }}{{ {'a': 1}.get('b', 2) }}{{ {'a': 1}.keys() | list }}", "12['a']"),
                Arguments.of("attribute falls back to item", "{{ {'content': 'c'}.content }}", "c"),
                Arguments.of("attribute prefers the method", "{% set d = {'items': 'x'} %}{{ d.items is defined }}{{ d['items'] }}", "Truex"),
                // indexing and slicing
                Arguments.of("index by code point", "{{ '\uD83D\uDE00ab'[1] }}{{ 'abc'[-1] }}", "ac"),
                Arguments.of("reverse slice", "{{ 'abc'[::-1] }}{{ '\uD83D\uDE00ab'[::-1] }}{{ [1, 2, 3][::-1] }}", "cbaba\uD83D\uDE00[3, 2, 1]"),
                Arguments.of("slices", "{{ [1, 2, 3][1:] }}{{ [1, 2, 3][:-1] }}{{ [1, 2, 3][:] }}{{ [1, 2, 3, 4][::2] }}", "[2, 3][1, 2][1, 2, 3][1, 3]"),
                Arguments.of("out-of-range index is undefined", "[{{ [][0] }}]{{ [][0] is defined }}", "[]False"),
                // undefined
                Arguments.of("undefined is falsy, empty, iterable", "[{{ nope }}]{{ nope is defined }}{{ 'x' in nope }}{{ nope | length }}{{ nope is iterable }}",
                        "[]FalseFalse0True"),
                Arguments.of("missing key is undefined", "{{ {}.x is undefined }}{{ {}['x'] is defined }}", "TrueFalse"),
                Arguments.of("for over undefined", "{% for x in nope %}a{% else %}none{% endfor %}", "none"),
                // tests
                Arguments.of("type tests", "{{ 'a' is string }}{{ 'a' is sequence }}{{ {} is mapping }}{{ {} is sequence }}{{ 1 is number }}"
                        + "{{ true is number }}{{ none is none }}{{ 0 is false }}{{ false is false }}{{ 1 is integer }}{{ 1.0 is float }}",
                        "TrueTrueTrueTrueTrueTrueTrueFalseTrueTrueTrue"),
                Arguments.of("is not", "{{ 1 is not string }}{{ not 1 is string }}", "TrueTrue"),
                Arguments.of("odd / even / divisibleby", "{{ 3 is odd }}{{ 3 is even }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(4) }}", "TrueFalseTrueFalse"),
                // scoping
                Arguments.of("set in for does not leak", "{% set x = 1 %}{% for i in [1, 2] %}{% set x = i %}{{ x }}{% endfor %}{{ x }}", "121"),
                Arguments.of("each iteration starts from the outer value", "{% set x = 1 %}{% for i in [1, 2] %}{{ x }}{% set x = 2 %}{% endfor %}", "11"),
                Arguments.of("namespace carries out of the loop", "{% set ns = namespace(x=0) %}{% for i in [1, 2] %}{% set ns.x = ns.x + i %}{% endfor %}{{ ns.x }}", "3"),
                Arguments.of("namespace gets new attributes", "{% set ns = namespace() %}{{ ns.y is defined }}{% set ns.y = 1 %}{{ ns.y }}", "False1"),
                Arguments.of("set in if leaks", "{% if true %}{% set y = 5 %}{% endif %}{{ y }}", "5"),
                Arguments.of("block set and filter", "{% set x | upper %}block{% endset %}{{ x }}{% filter lower %}AB{% endfilter %}", "BLOCKab"),
                Arguments.of("macro defaults and kwargs", "{% macro m(a, b='B') %}{{ a }}{{ b }}{% endmacro %}{{ m('A') }}|{{ m('A', b='C') }}", "AB|AC"),
                Arguments.of("macro output piped", "{% macro m() %}  x  {% endmacro %}[{{ m() | trim }}]", "[x]"),
                Arguments.of("macro sees variables at call time", "{% macro m() %}{{ g }}{% endmacro %}{% set g = 'G' %}{{ m() }}", "G"),
                Arguments.of("call block", "{% macro w() %}<{{ caller() }}>{% endmacro %}{% call w() %}in{% endcall %}", "<in>"),
                Arguments.of("with", "{% with a = 1 %}{{ a }}{% endwith %}[{{ a }}]", "1[]"),
                // loops
                Arguments.of("loop variables", "{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.revindex }}{{ loop.length }}|{% endfor %}",
                        "10TrueFalse33|21FalseFalse23|32FalseTrue13|"),
                Arguments.of("previtem / nextitem", "{% for x in [1, 2, 3] %}{{ loop.previtem is defined }}{{ loop.nextitem }};{% endfor %}", "False2;True3;True;"),
                Arguments.of("loop filter and loop.last", "{% for x in [1, 2, 3, 4] if x is odd %}{{ x }}{{ ',' if not loop.last }}{% endfor %}", "1,3"),
                Arguments.of("break / continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}", "013"),
                Arguments.of("loop.cycle", "{% for x in [1, 2, 3] %}{{ loop.cycle('a', 'b') }}{% endfor %}", "aba"),
                Arguments.of("for over dict keys", "{% for k in {'b': 1, 'a': 2} %}{{ k }}{% endfor %}", "ba"),
                Arguments.of("nested loops", "{% for a in [1, 2] %}{% for b in 'xy' %}{{ a }}{{ b }}{{ loop.index }} {% endfor %}{% endfor %}", "1x1 1y2 2x1 2y2 "),
                // globals
                Arguments.of("strftime_now", "{{ strftime_now('%d %B %Y') }}|{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%A %Y-%m-%d') }}",
                        "10 July 2025|10 Jul 2025|Thursday 2025-07-10"),
                Arguments.of("range / dict", "{{ range(3) | list }}{{ dict(a=1) }}", "[0, 1, 2]{'a': 1}"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renders")
    void rendersLikePythonJinja2(String name, String template, String expected) {
        assertEquals(expected, render(template));
    }

    static Stream<Arguments> errors() {
        return Stream.of(
                Arguments.of("attribute of undefined", "{{ nope.attr }}", "UndefinedError", "'nope' is undefined"),
                Arguments.of("calling undefined", "{{ nope() }}", "UndefinedError", "'nope' is undefined"),
                Arguments.of("element of missing index", "{{ [][0].x }}", "UndefinedError", "list object has no element 0"),
                Arguments.of("item of missing key", "{{ {}['k']['j'] }}", "UndefinedError", "'dict object' has no attribute 'k'"),
                Arguments.of("arithmetic on undefined", "{{ nope + 1 }}", "UndefinedError", "'nope' is undefined"),
                Arguments.of("str + int", "{{ 'a' + 1 }}", "TypeError", "can only concatenate str (not \"int\") to str"),
                Arguments.of("int + str", "{{ 1 + 'a' }}", "TypeError", "unsupported operand type(s) for +: 'int' and 'str'"),
                Arguments.of("list.append is unsafe", "{% set l = [] %}{{ l.append(1) }}", "SecurityError",
                        "access to attribute 'append' of 'list' object is unsafe."),
                Arguments.of("dict.update is unsafe", "{{ {}.update({}) }}", "SecurityError",
                        "access to attribute 'update' of 'dict' object is unsafe."),
                Arguments.of("raise_exception", "{{ raise_exception('bad ' ~ 1) }}", "TemplateError", "bad 1"),
                Arguments.of("tojson of undefined", "{{ nope | tojson }}", "TypeError", "Object of type Undefined is not JSON serializable"),
                Arguments.of("items of a list", "{{ [1] | items }}", "TypeError", "Can only get item pairs from a mapping."),
                Arguments.of("length of None", "{{ none | length }}", "TypeError", "object of type 'NoneType' has no len()"),
                Arguments.of("unpacking", "{% for a, b in [[1]] %}{% endfor %}", "ValueError", "not enough values to unpack (expected 2, got 1)"),
                Arguments.of("unknown filter fails at load", "{% if false %}{% for x in y %}{{ 1 | nosuch }}{% endfor %}{% endif %}",
                        "TemplateAssertionError", "No filter named 'nosuch'."),
                Arguments.of("unknown test fails at load", "{{ 1 is nosuch }}", "TemplateAssertionError", "No test named 'nosuch'."),
                Arguments.of("unknown filter in if fails when reached", "{% if true %}{{ 1 | nosuch }}{% endif %}",
                        "TemplateRuntimeError", "No filter named 'nosuch' found."),
                Arguments.of("unsupported jinja2 filter", "{{ [1] | groupby('x') }}", "NotImplementedError",
                        "the jinja2 filter 'groupby' is not supported by this renderer (io.tracedistill.chat.jinja.Filters)"),
                Arguments.of("unknown tag", "{% nosuch %}", "TemplateSyntaxError", "Encountered unknown tag 'nosuch'."),
                Arguments.of("unclosed string", "{{ 'abc }}", "TemplateSyntaxError", "unexpected char \"'\" at 3"),
                Arguments.of("int of undefined", "{{ nope | int }}", "UndefinedError", "'nope' is undefined"),
                Arguments.of("undefined in str", "{{ nope in 'abc' }}", "TypeError", "'in <string>' requires string as left operand, not Undefined"),
                Arguments.of("division by zero", "{{ 1 // 0 }}", "ZeroDivisionError", "integer division or modulo by zero"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("errors")
    void failsLikePythonJinja2(String name, String template, String type, String message) {
        TemplateException e = assertThrows(TemplateException.class, () -> render(template));
        assertEquals(type, e.errorType(), e.getMessage());
        assertEquals(message, e.detail());
    }

    @Test
    void unclosedBlockNamesTheMissingTag() {
        TemplateException e = assertThrows(TemplateException.class, () -> render("{% for x in y %}\nabc"));
        assertEquals("TemplateSyntaxError", e.errorType());
        assertTrue(e.detail().contains("'endfor'"), e.detail());
        assertTrue(e.getMessage().contains("t.jinja"), e.getMessage());
    }

    @Test
    void errorsNameTemplateAndLine() {
        TemplateException e = assertThrows(TemplateException.class,
                () -> render("line1\n{% if true %}\n  {{ raise_exception('boom') }}\n{% endif %}"));
        assertEquals("TemplateError: boom (chat template t.jinja, line 3)", e.getMessage());
        assertEquals(3, e.line());
        assertTrue(e.raisedByTemplate());
    }

    @Test
    void generationSpansAreCodePoints() {
        RenderResult r = JinjaTemplate.compile("a\uD83D\uDE00{% generation %}\uD83D\uDE00b{% endgeneration %}c", "g")
                .render(Map.of(), () -> NOW);
        assertEquals("a\uD83D\uDE00\uD83D\uDE00bc", r.text());
        assertEquals(1, r.generationSpans().size());
        assertEquals(List.of(2, 4), List.of(r.generationSpans().get(0)[0], r.generationSpans().get(0)[1]));
        int[] utf16 = r.generationSpansUtf16().get(0);
        assertEquals("\uD83D\uDE00b", r.text().substring(utf16[0], utf16[1]));
    }

    @Test
    void javaInputsAreConvertedToPythonValues() {
        Map<String, Object> msg = new LinkedHashMap<>();
        msg.put("n", 3);
        msg.put("f", 1.5f);
        msg.put("l", List.of(1, "a"));
        msg.put("nothing", null);
        assertEquals("3 1.5 [1, 'a'] None 4", render("{{ m.n }} {{ m.f }} {{ m.l }} {{ m.nothing }} {{ m.n + 1 }}", Map.of("m", msg)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> render("{{ x }}", Map.of("x", new Object())));
        assertTrue(e.getMessage().startsWith("Template variable 'x': Cannot pass a value of Java type java.lang.Object"),
                e.getMessage());
    }

    static Stream<Arguments> floats() {
        return Stream.of(Arguments.of(4.0, "4.0"), Arguments.of(1e-7, "1e-07"), Arguments.of(1e-5, "1e-05"),
                Arguments.of(1e-4, "0.0001"), Arguments.of(1e16, "1e+16"), Arguments.of(1e15, "1000000000000000.0"),
                Arguments.of(1e7, "10000000.0"), Arguments.of(-0.0, "-0.0"), Arguments.of(Double.NaN, "nan"),
                Arguments.of(Double.NEGATIVE_INFINITY, "-inf"), Arguments.of(0.1, "0.1"), Arguments.of(2.5, "2.5"),
                Arguments.of(Double.MAX_VALUE, "1.7976931348623157e+308"), Arguments.of(Double.MIN_VALUE, "5e-324"),
                Arguments.of(123456789.125, "123456789.125"), Arguments.of(1.5e-300, "1.5e-300"),
                Arguments.of(2.0 / 3, "0.6666666666666666"));
    }

    @ParameterizedTest(name = "repr({1})")
    @MethodSource("floats")
    void floatReprIsPythons(double value, String expected) {
        assertEquals(expected, PyText.floatRepr(value));
    }

    @Test
    void pythonStrSplitWithoutSeparator() {
        assertEquals(List.of(), PyStrings.split(" \u00a0\t", null, -1));
        assertEquals(List.of("a", "b"), PyStrings.split("\u2003a\u0085b\u3000", null, -1));
        assertEquals(List.of("a", "b c "), PyStrings.split(" a b c ", null, 1));
        assertEquals(List.of(" a b", "c"), PyStrings.rsplit(" a b c ", null, 1));
        assertEquals(List.of("", "a", ""), PyStrings.split(",a,", ",", -1));
    }

    @Test
    void pythonStrRepr() {
        assertEquals("'a\\'\"b'", PyText.repr("a'\"b"));
        assertEquals("'\\x00\\x7f\\x85\\u200b\\U000e0001'", PyText.repr("\u0000\u007f\u0085\u200b\uDB40\uDC01"));
        assertEquals("'\u00e9\uD83D\uDE00 \u00a0'".replace("\u00a0", "\\xa0"), PyText.repr("\u00e9\uD83D\uDE00 \u00a0"));
    }
}
