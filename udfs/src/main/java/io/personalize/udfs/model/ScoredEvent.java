package io.personalize.udfs.model;

import io.personalize.udfs.features.FeaturizedEvent;

/** An event, the user's features, and what the models said about them. */
public class ScoredEvent {
    public FeaturizedEvent input;
    public ModelResult[] models;

    public ScoredEvent() {}

    public ScoredEvent(FeaturizedEvent input, ModelResult... models) {
        this.input = input;
        this.models = models;
    }

    public ModelResult model(String name) {
        for (ModelResult result : models) {
            if (result.model.equals(name)) {
                return result;
            }
        }
        return null;
    }
}
