package io.personalize.udfs.bandit;

/** One bandit decision's outcome: the context, the action played, its logged probability and the reward. */
public class BanditFeedback {
    public String decisionId;
    public int action;
    public double probability;
    public double[] context;
    public double reward;

    public BanditFeedback() {}

    public BanditFeedback(String decisionId, int action, double probability, double[] context, double reward) {
        this.decisionId = decisionId;
        this.action = action;
        this.probability = probability;
        this.context = context;
        this.reward = reward;
    }
}
