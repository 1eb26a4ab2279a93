package org.tokenrl.trainer.preference;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.tokenrl.core.Metrics;
import org.tokenrl.model.Policy;
import org.tokenrl.rollout.Example;
import org.tokenrl.rollout.RowSeeds;
import org.tokenrl.rollout.Task;
import org.tokenrl.trainer.loop.ChunkedScores;
import org.tokenrl.trainer.setup.PromptCodec;

/**
 * Held-out preference accuracy: pairs of (reference answer, corrupted answer) on held-out prompts.
 * {@code eval/pref_accuracy} is TRL's implicit-reward accuracy, the fraction of pairs whose
 * log-ratio to the reference is higher for the correct answer; {@code eval/logp_accuracy} the
 * fraction where the policy itself gives the correct answer the higher log-probability.
 */
public final class PreferenceEval {
  private final List<CandidatePair> pairs;
  private final double[][] refChosen; // per token
  private final double[][] refRejected;

  private PreferenceEval(List<CandidatePair> pairs, double[][] refChosen, double[][] refRejected) {
    this.pairs = pairs;
    this.refChosen = refChosen;
    this.refRejected = refRejected;
  }

  /** The first {@code size} held-out examples against corrupted answers, scored by {@code ref}. */
  static PreferenceEval build(Task task, PromptCodec codec, int size, long seed, Policy reference) {
    List<Example> heldOut = task.heldOut();
    Random rnd = new Random(RowSeeds.mix(seed + 101));
    List<CandidatePair> pairs = new ArrayList<>();
    for (int i = 0; i < Math.min(size, heldOut.size()); i++) {
      Example ex = heldOut.get(i);
      pairs.add(
          new CandidatePair(
              ex.prompt(),
              codec.prompt(ex),
              codec.answer(ex.answer()),
              codec.answer(task.corruptAnswer(ex, rnd))));
    }
    double[][][] lp = tokenLogprobs(reference, pairs);
    return new PreferenceEval(pairs, lp[0], lp[1]);
  }

  static PreferenceEval of(
      List<CandidatePair> pairs, double[][] refChosen, double[][] refRejected) {
    return new PreferenceEval(pairs, refChosen, refRejected);
  }

  public List<CandidatePair> pairs() {
    return pairs;
  }

  double[][] refChosen() {
    return refChosen;
  }

  double[][] refRejected() {
    return refRejected;
  }

  public Map<String, Double> evaluate(Policy policy) {
    Map<String, Double> m = new HashMap<>();
    if (pairs.isEmpty()) {
      return m;
    }
    double[][][] lp = tokenLogprobs(policy, pairs);
    int implicit = 0;
    int direct = 0;
    for (int i = 0; i < pairs.size(); i++) {
      double c = sum(lp[0][i]);
      double r = sum(lp[1][i]);
      implicit += (c - sum(refChosen[i])) > (r - sum(refRejected[i])) ? 1 : 0;
      direct += c > r ? 1 : 0;
    }
    m.put(Metrics.EVAL_PREF_ACCURACY, (double) implicit / pairs.size());
    m.put(Metrics.EVAL_LOGP_ACCURACY, (double) direct / pairs.size());
    return m;
  }

  /** Per-token log-probs: [0] chosen, [1] rejected. */
  private static double[][][] tokenLogprobs(Policy policy, List<CandidatePair> pairs) {
    int n = pairs.size();
    int[][] prompts = new int[2 * n][];
    int[][] responses = new int[2 * n][];
    for (int i = 0; i < n; i++) {
      prompts[i] = pairs.get(i).prompt();
      prompts[n + i] = pairs.get(i).prompt();
      responses[i] = pairs.get(i).chosen();
      responses[n + i] = pairs.get(i).rejected();
    }
    double[][] lp = ChunkedScores.logprobs(policy, prompts, responses);
    double[][][] out = new double[2][n][];
    for (int r = 0; r < 2 * n; r++) {
      out[r < n ? 0 : 1][r % n] = lp[r];
    }
    return out;
  }

  private static double sum(double[] x) {
    double s = 0;
    for (double v : x) {
      s += v;
    }
    return s;
  }
}
