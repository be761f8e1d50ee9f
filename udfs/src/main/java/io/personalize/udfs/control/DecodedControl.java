package io.personalize.udfs.control;

import io.personalize.schema.ControlEvent;
import io.personalize.schema.DeadLetter;

/** What the control source emits per record: a command, or a dead letter saying why not. */
public class DecodedControl {
    public ControlEvent control;
    public DeadLetter deadLetter;

    public DecodedControl() {}

    public static DecodedControl valid(ControlEvent control) {
        DecodedControl decoded = new DecodedControl();
        decoded.control = control;
        return decoded;
    }

    public static DecodedControl invalid(DeadLetter deadLetter) {
        DecodedControl decoded = new DecodedControl();
        decoded.deadLetter = deadLetter;
        return decoded;
    }
}
