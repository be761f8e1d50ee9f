package io.personalize.udfs.training;

import io.personalize.schema.EventContext;
import io.personalize.schema.EventType;
import io.personalize.schema.UserEvent;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * UCI Online Retail as a stream of PURCHASE events, in event-time order: one event per invoice
 * line of an identified customer. Cancellations and returns (quantity <= 0) and lines without a
 * customer are skipped and counted.
 */
public final class OnlineRetailEvents {
    private static final DateTimeFormatter INVOICE_DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm");
    private static final ZoneId UK = ZoneId.of("Europe/London");

    public record Loaded(List<UserEvent> events, long lines, long withoutCustomer, long cancellationsOrReturns) {}

    private OnlineRetailEvents() {}

    public static Path defaultFile() {
        String shared = System.getProperty("shared.dir", System.getenv().getOrDefault("SHARED_DIR", "../shared"));
        return Path.of(shared, "data", "online-retail", "online_retail.csv.gz");
    }

    /** Every invoice line of the file, its columns by name; closing the parser closes the file. */
    public static CSVParser lines(Path file) throws IOException {
        Reader reader = new InputStreamReader(new GZIPInputStream(Files.newInputStream(file), 1 << 16),
                StandardCharsets.UTF_8);
        return CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(reader);
    }

    public static Loaded load(Path file) throws IOException {
        List<UserEvent> events = new ArrayList<>(420_000);
        long lines = 0;
        long withoutCustomer = 0;
        long negative = 0;
        try (CSVParser rows = lines(file)) {
            for (CSVRecord row : rows) {
                lines++;
                String customer = row.get("CustomerID").trim();
                if (customer.isEmpty()) {
                    withoutCustomer++;
                    continue;
                }
                int quantity = Integer.parseInt(row.get("Quantity").trim());
                String invoice = row.get("InvoiceNo").trim();
                if (quantity <= 0 || invoice.startsWith("C")) {
                    negative++;
                    continue;
                }
                if (customer.endsWith(".0")) {
                    customer = customer.substring(0, customer.length() - 2);
                }
                long time = LocalDateTime.parse(row.get("InvoiceDate").trim(), INVOICE_DATE)
                        .atZone(UK).toInstant().toEpochMilli();
                events.add(UserEvent.newBuilder()
                        .setEventId("retail-" + invoice + "-" + row.getRecordNumber())
                        .setUserId(customer)
                        .setEventType(EventType.PURCHASE)
                        .setEventTime(time)
                        .setItemId(row.get("StockCode").trim())
                        .setPrice(Double.parseDouble(row.get("UnitPrice").trim()))
                        .setQuantity(quantity)
                        .setSessionId(invoice)
                        .setContext(new EventContext(null, row.get("Country").trim()))
                        .build());
            }
        }
        events.sort(Comparator.comparingLong(UserEvent::getEventTime)); // stable: invoice lines stay together
        return new Loaded(events, lines, withoutCustomer, negative);
    }
}
