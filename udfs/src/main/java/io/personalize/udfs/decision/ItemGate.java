package io.personalize.udfs.decision;

import io.personalize.udfs.catalog.ApprovedCatalog;
import io.personalize.udfs.catalog.SafetyScreen;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What any item must pass before a user sees it: it is in the approved catalog, and its
 * description passes the content safety screen. Without either artifact nothing passes: the policy
 * fails closed.
 */
public final class ItemGate implements Serializable {
    private static final long serialVersionUID = 1L;

    private final ApprovedCatalog catalog;
    private final SafetyScreen screen;
    private final String unavailable;
    /** The screen's verdict per catalog item, once asked: the matched term, or "" when safe. */
    private transient Map<String, String> verdicts;

    /** {@code catalog} or {@code screen} null: unavailable, for {@code why}. */
    public ItemGate(ApprovedCatalog catalog, SafetyScreen screen, String why) {
        this.catalog = catalog;
        this.screen = screen;
        this.unavailable = catalog == null || screen == null ? why : null;
    }

    /** The registry's approved catalog and safety screen; what fails to load makes the gate unavailable, saying why. */
    public static ItemGate load(Path modelsDir) {
        ApprovedCatalog catalog = null;
        SafetyScreen screen = null;
        StringBuilder why = new StringBuilder();
        try {
            catalog = ApprovedCatalog.load(modelsDir);
        } catch (Exception e) {
            why.append(e.getMessage());
        }
        try {
            screen = SafetyScreen.load(modelsDir);
        } catch (Exception e) {
            why.append(why.length() == 0 ? "" : "; ").append(e.getMessage());
        }
        return new ItemGate(catalog, screen, why.toString());
    }

    /** Whether a user may see the item: the same test as {@link Check#allows}, without counting. */
    public boolean shows(String itemId) {
        return unavailable == null && catalog.approved(itemId) && screenedOut(itemId).isEmpty();
    }

    /** The term that screens the catalog item out, or "" when it is safe. */
    private String screenedOut(String itemId) {
        if (verdicts == null) {
            verdicts = new HashMap<>();
        }
        // descriptions never change within a catalog version: screen each item once, not per decision
        return verdicts.computeIfAbsent(itemId, id -> {
            SafetyScreen.Verdict verdict = screen.screen(catalog.description(id));
            return verdict.safe() ? "" : verdict.matched();
        });
    }

    /** Null when the gate works; otherwise why nothing can be shown. */
    public String unavailable() {
        return unavailable;
    }

    public String catalogVersion() {
        return catalog == null ? null : catalog.version();
    }

    public Check check() {
        return new Check();
    }

    /** One decision's checks, counting what they held back. */
    public final class Check {
        private int notApproved;
        private final List<String> unsafe = new ArrayList<>();

        public boolean allows(String itemId) {
            if (!catalog.approved(itemId)) {
                notApproved++;
                return false;
            }
            String matched = screenedOut(itemId);
            if (!matched.isEmpty()) {
                unsafe.add(itemId + ":" + matched);
                return false;
            }
            return true;
        }

        /** Reason codes for what was held back, if anything. */
        public List<String> reasons() {
            List<String> reasons = new ArrayList<>(2);
            if (notApproved > 0) {
                reasons.add("NOT_IN_APPROVED_CATALOG(" + notApproved + " items left out)");
            }
            if (!unsafe.isEmpty()) {
                reasons.add("SAFETY_SCREEN(" + String.join(", ", unsafe) + " left out)");
            }
            return reasons;
        }
    }
}
