package io.tracedistill.tokens;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The toy tokenizer of {@code golden/masking.json} ({@code meta.tokenizer_definition}): scan left to right, take the
 * longest merge string (length >= 2) matching at the current code point, id = {@code merge_token_id_base} + index in
 * {@code merges}; otherwise one token for the single code point, id = the code point. Offsets are code point spans in
 * the definition and are converted to UTF-16 indices here, as {@link Encoding} requires. A tokenizer declared with
 * {@code offsets: false} reports none, which sends {@link CompletionMasker} to its fallback path.
 */
final class ToyGreedyTokenizer implements TextTokenizer {

    private final List<int[]> merges;
    private final int mergeIdBase;
    private final boolean offsets;

    ToyGreedyTokenizer(List<String> merges, int mergeIdBase, boolean offsets) {
        this.merges = new ArrayList<>();
        for (String m : merges) {
            this.merges.add(m.codePoints().toArray());
        }
        this.mergeIdBase = mergeIdBase;
        this.offsets = offsets;
    }

    static ToyGreedyTokenizer fromMeta(JsonNode spec) {
        List<String> merges = new ArrayList<>();
        spec.get("merges").forEach(m -> merges.add(m.asText()));
        return new ToyGreedyTokenizer(merges, spec.get("merge_token_id_base").asInt(), spec.get("offsets").asBoolean());
    }

    @Override
    public Encoding encode(String text) {
        int[] cps = text.codePoints().toArray();
        int[] utf16 = new int[cps.length + 1];
        for (int k = 0; k < cps.length; k++) {
            utf16[k + 1] = utf16[k] + Character.charCount(cps[k]);
        }
        List<int[]> tokens = new ArrayList<>(); // {id, startCp, endCp}
        int pos = 0;
        while (pos < cps.length) {
            int bestIndex = -1;
            int bestLen = 0;
            for (int m = 0; m < merges.size(); m++) {
                int[] merge = merges.get(m);
                if (merge.length >= 2 && merge.length > bestLen && matchesAt(cps, pos, merge)) {
                    bestIndex = m;
                    bestLen = merge.length;
                }
            }
            if (bestIndex >= 0) {
                tokens.add(new int[] {mergeIdBase + bestIndex, pos, pos + bestLen});
                pos += bestLen;
            } else {
                tokens.add(new int[] {cps[pos], pos, pos + 1});
                pos++;
            }
        }
        int[] ids = new int[tokens.size()];
        int[] starts = new int[tokens.size()];
        int[] ends = new int[tokens.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = tokens.get(i)[0];
            starts[i] = utf16[tokens.get(i)[1]];
            ends[i] = utf16[tokens.get(i)[2]];
        }
        return offsets ? Encoding.withOffsets(ids, starts, ends) : Encoding.withoutOffsets(ids);
    }

    private static boolean matchesAt(int[] cps, int pos, int[] merge) {
        if (pos + merge.length > cps.length) {
            return false;
        }
        for (int j = 0; j < merge.length; j++) {
            if (cps[pos + j] != merge[j]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String tokenText(int id) {
        if (id >= mergeIdBase) {
            return new String(merges.get(id - mergeIdBase), 0, merges.get(id - mergeIdBase).length);
        }
        return new String(Character.toChars(id));
    }
}
