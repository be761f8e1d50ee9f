package io.personalize.udfs.model;

import java.io.IOException;

/** A model file that must not be served: corrupt, or trained for other inputs. */
public class ModelRejectedException extends IOException {
    private static final long serialVersionUID = 1L;

    public ModelRejectedException(String message) {
        super(message);
    }
}
