package io.tracedistill.contract;

import java.util.Objects;
import java.util.Optional;

/** Result of {@link FormatContract#build}: a kept {@link ChatRecord} or the {@link DropReason}. */
public sealed interface RecordOutcome permits RecordOutcome.Kept, RecordOutcome.Dropped {

    /** The row became a training record. */
    record Kept(ChatRecord chatRecord) implements RecordOutcome {
        public Kept {
            Objects.requireNonNull(chatRecord, "chatRecord");
        }
    }

    /** The row was dropped, for {@code reason}. */
    record Dropped(DropReason reason) implements RecordOutcome {
        public Dropped {
            Objects.requireNonNull(reason, "reason");
        }
    }

    default boolean isKept() {
        return this instanceof Kept;
    }

    /** The kept record ({@link Kept} overrides this). @throws IllegalStateException naming the drop reason if dropped */
    default ChatRecord chatRecord() {
        throw new IllegalStateException("Row was dropped (" + ((Dropped) this).reason().code()
                + "); check isKept() before asking for its record");
    }

    /** The record if kept. */
    default Optional<ChatRecord> record() {
        return this instanceof Kept k ? Optional.of(k.chatRecord()) : Optional.empty();
    }

    /** The drop reason if dropped. */
    default Optional<DropReason> dropReason() {
        return this instanceof Dropped d ? Optional.of(d.reason()) : Optional.empty();
    }
}
