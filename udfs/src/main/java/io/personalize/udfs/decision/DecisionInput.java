package io.personalize.udfs.decision;

import io.personalize.schema.ControlEvent;
import io.personalize.udfs.model.ScoredEvent;

/** What the decision operator's keyed input carries: a scored event, or a command about one user. */
public class DecisionInput {
    public ScoredEvent scored;
    public ControlEvent command;

    public DecisionInput() {}

    public static DecisionInput of(ScoredEvent scored) {
        DecisionInput in = new DecisionInput();
        in.scored = scored;
        return in;
    }

    public static DecisionInput of(ControlEvent command) {
        DecisionInput in = new DecisionInput();
        in.command = command;
        return in;
    }

    public String userId() {
        return scored != null ? scored.input.event.getUserId() : command.getUserId();
    }
}
