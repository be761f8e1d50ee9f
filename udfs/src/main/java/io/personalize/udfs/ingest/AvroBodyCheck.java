package io.personalize.udfs.ingest;

import java.util.Optional;
import org.apache.avro.Schema;

/**
 * Walks an Avro binary body against its writer schema without allocating anything for it, and says
 * what is wrong with it, if anything: a length, count or index the bytes cannot hold, or bytes left
 * over after the record.
 *
 * <p>Avro's own decoder allocates what a length prefix claims before it finds out the bytes are not
 * there: a 20-byte record whose first string claims 1.5 GB makes it allocate 1.5 GB. Once a body
 * passes this check, every string, byte array and collection Avro allocates for it is no larger
 * than the body itself.
 */
final class AvroBodyCheck {
    private final byte[] bytes;
    private final int start;
    private final int end;
    private int pos;

    private AvroBodyCheck(byte[] bytes, int start, int end) {
        this.bytes = bytes;
        this.start = start;
        this.pos = start;
        this.end = end;
    }

    /** The problem with {@code bytes[start, end)} as one datum of {@code writer}, or empty if it is one exactly. */
    static Optional<String> problem(Schema writer, byte[] bytes, int start, int end) {
        AvroBodyCheck check = new AvroBodyCheck(bytes, start, end);
        try {
            check.walk(writer);
        } catch (Corrupt e) {
            return Optional.of(e.getMessage());
        }
        if (check.pos != end) {
            return Optional.of((end - check.pos) + " bytes left over after the end of the record (at byte "
                    + check.pos + " of " + end + ")");
        }
        return Optional.empty();
    }

    private static final class Corrupt extends Exception {
        Corrupt(String message) {
            super(message, null, false, false);
        }
    }

    private void walk(Schema schema) throws Corrupt {
        switch (schema.getType()) {
            case NULL -> { }
            case BOOLEAN -> take(1, "boolean");
            case INT -> varint(5, "int");
            case LONG -> varint(10, "long");
            case FLOAT -> take(4, "float");
            case DOUBLE -> take(8, "double");
            case STRING, BYTES -> take(length(schema.getType().getName()), schema.getType().getName());
            case FIXED -> take(schema.getFixedSize(), schema.getFullName());
            case ENUM -> index(schema.getEnumSymbols().size(), "enum " + schema.getFullName() + " symbol");
            case UNION -> walk(schema.getTypes().get(index(schema.getTypes().size(), "union branch")));
            case RECORD -> {
                for (Schema.Field field : schema.getFields()) {
                    walk(field.schema());
                }
            }
            case ARRAY -> items(schema.getElementType(), null);
            case MAP -> items(schema.getValueType(), Schema.create(Schema.Type.STRING));
        }
    }

    /**
     * Blocks of items (map entries when {@code key} is set) until a block of zero. Avro allocates a
     * block's count before reading its items: items that take a byte at least cannot claim more than
     * the bytes left; items of no width (null, empty records) no more than the body has bytes.
     */
    private void items(Schema item, Schema key) throws Corrupt {
        boolean zeroWidth = key == null && zeroWidth(item);
        while (true) {
            int at = pos;
            long count = zigzag(varint(10, "block count"));
            if (count == 0) {
                return;
            }
            if (count < 0) { // a block with its size in bytes
                count = -count;
                length("block size");
            }
            if (zeroWidth) {
                if (count > end - start) {
                    throw new Corrupt("block of " + count + " items of no width at byte " + at + " in a body of "
                            + (end - start) + " bytes");
                }
                continue;
            }
            if (count > end - pos) {
                throw new Corrupt("block of " + count + " items at byte " + at + ", only " + (end - pos) + " bytes left");
            }
            for (long i = 0; i < count; i++) {
                if (key != null) {
                    walk(key);
                }
                walk(item);
            }
        }
    }

    /** Whether values of the schema take no bytes at all. */
    private static boolean zeroWidth(Schema schema) {
        return switch (schema.getType()) {
            case NULL -> true;
            case FIXED -> schema.getFixedSize() == 0;
            case RECORD -> schema.getFields().stream().allMatch(f -> zeroWidth(f.schema()));
            default -> false;
        };
    }

    private int index(int size, String what) throws Corrupt {
        int at = pos;
        long index = zigzag(varint(5, what));
        if (index < 0 || index >= size) {
            throw new Corrupt(what + " " + index + " at byte " + at + " is not one of the " + size);
        }
        return (int) index;
    }

    private int length(String what) throws Corrupt {
        int at = pos;
        long length = zigzag(varint(10, what + " length"));
        if (length < 0) {
            throw new Corrupt(what + " length " + length + " at byte " + at + " is negative");
        }
        if (length > end - pos) {
            throw new Corrupt(what + " of " + length + " bytes at byte " + at + ", only " + (end - pos) + " bytes left");
        }
        return (int) length;
    }

    private void take(int count, String what) throws Corrupt {
        if (count > end - pos) {
            throw new Corrupt(what + " at byte " + pos + " needs " + count + " bytes, only " + (end - pos) + " left");
        }
        pos += count;
    }

    /** A variable-length integer of at most {@code maxBytes} bytes, not yet zigzag-decoded. */
    private long varint(int maxBytes, String what) throws Corrupt {
        int at = pos;
        long value = 0;
        for (int i = 0; i < maxBytes; i++) {
            if (pos == end) {
                throw new Corrupt(what + " at byte " + at + " runs past the end");
            }
            byte b = bytes[pos++];
            value |= (long) (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new Corrupt(what + " at byte " + at + " is longer than " + maxBytes + " bytes");
    }

    private static long zigzag(long n) {
        return (n >>> 1) ^ -(n & 1);
    }
}
