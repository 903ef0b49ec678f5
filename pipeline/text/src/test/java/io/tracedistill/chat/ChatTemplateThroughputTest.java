package io.tracedistill.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Render rate of the real Qwen3 template on a typical two-message training record (user prompt with the format
 * suffix, assistant reasoning + boxed answer), after warm-up; prints renders/s. The floor is deliberately low (the
 * build machine is shared); the printed figure is the measurement.
 */
class ChatTemplateThroughputTest {

    @Test
    void qwen3RendersAtLeastAThousandPerSecond() {
        ChatTemplate t = ChatTemplate.fromTokenizerConfig(ChatTemplateLoadingTest.qwen3Dir());
        List<Map<String, Object>> messages = List.of(
                Map.of("role", "user", "content", "What is 6 times 7?\nPlease put your final answer inside `\\boxed{}`. "
                        + "For example: `\\boxed{your answer}`"),
                Map.of("role", "assistant", "content", "6 times 7 means adding 6 seven times: 6+6+6+6+6+6+6 = 42. "
                        + "Check: 7 times 6 is also 42.\n</think>\n\\boxed{42}"));
        Map<String, Object> extra = Map.of("enable_thinking", true);
        String expected = "<|im_start|>user\n" + messages.get(0).get("content") + "<|im_end|>\n<|im_start|>assistant\n"
                + "<think>\n6 times 7 means adding 6 seven times: 6+6+6+6+6+6+6 = 42. Check: 7 times 6 is also 42.\n</think>\n\n"
                + "\\boxed{42}<|im_end|>\n";
        assertEquals(expected, t.render(messages, false, extra));

        for (int i = 0; i < 10_000; i++) {
            t.render(messages, false, extra);
        }
        int n = 30_000;
        long start = System.nanoTime();
        int chars = 0;
        for (int i = 0; i < n; i++) {
            chars += t.render(messages, false, extra).length();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double rate = n / seconds;
        System.out.printf("qwen3 chat template, 2-message record: %d renders in %.3f s = %.0f renders/s (%.1f us/render)%n",
                n, seconds, rate, 1e6 / rate);
        assertEquals((long) n * expected.length(), chars);
        assertTrue(rate > 1000, "render rate " + rate + "/s");
    }
}
