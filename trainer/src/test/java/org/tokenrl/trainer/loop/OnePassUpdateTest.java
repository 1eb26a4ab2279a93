package org.tokenrl.trainer.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.algorithms.rl.LossResult;
import org.tokenrl.algorithms.rl.RlAlgorithm;
import org.tokenrl.algorithms.rl.RlBatch;
import org.tokenrl.algorithms.rl.TokenCredit;
import org.tokenrl.core.Metrics;
import org.tokenrl.model.LoraConfig;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.PassLayout;
import org.tokenrl.model.Policy;
import org.tokenrl.model.TokenScores;
import org.tokenrl.model.UpdateObjective;
import org.tokenrl.model.UpdateStats;
import org.tokenrl.model.arch.LlamaConfig;

/**
 * The RL update as {@link RlTrainer} runs it, one forward pass per epoch with the algorithm's loss
 * between forward and backward, against the score-then-update path it replaced: GRPO (token-level,
 * with an entropy bonus) and GSPO (sequence-level, needs whole rows' log-probs), two epochs, LoRA
 * on and off, one pass and several. Same losses, metrics (actor/ratio_mean included) and weights.
 */
class OnePassUpdateTest {
  static final LlamaConfig TINY =
      new LlamaConfig(17, 16, 24, 2, 4, 2, 4, 1e-5, 10000, true, 32, false);
  static final String[] ALGORITHMS = {
    "name = grpo, entropy_coef = 0.01", "name = gspo, clip_eps_low = 0.05, clip_eps_high = 0.08",
  };
  static final int GROUP = 4;

  record Rows(int[][] prompts, int[][] responses, double[] rewards) {}

  /** 3 prompts of different lengths × 4 samples of 0-7 tokens, rewards 0/1. */
  static Rows rows(Random rng) {
    int n = 3 * GROUP;
    int[][] prompts = new int[n][];
    int[][] responses = new int[n][];
    double[] rewards = new double[n];
    for (int g = 0; g < 3; g++) {
      int[] prompt = rng.ints(2 + 3 * g, 0, TINY.vocabSize()).toArray();
      for (int k = 0; k < GROUP; k++) {
        int i = g * GROUP + k;
        prompts[i] = prompt;
        responses[i] = rng.ints(k == 1 ? 0 : 1 + rng.nextInt(7), 0, TINY.vocabSize()).toArray();
        rewards[i] = rng.nextInt(2);
      }
    }
    return new Rows(prompts, responses, rewards);
  }

  @Test
  void onePassUpdateEqualsScoreThenUpdate() {
    Random rng = new Random(3);
    Rows b = rows(rng);
    for (String config : ALGORITHMS) {
      for (LoraConfig lora :
          new LoraConfig[] {
            LoraConfig.NONE, new LoraConfig(4, 8.0, 0.0, List.of("q_proj", "up_proj"))
          }) {
        for (int budget : new int[] {4096, 24}) {
          String what = config + " lora " + lora.rank() + " budget " + budget;
          RlAlgorithm algorithm = Algorithms.create(config);
          TokenCredit credit = algorithm.credit(RlBatch.of(b.rewards(), b.responses(), GROUP));
          OptimizerConfig opt = OptimizerConfig.defaults(1e-2);
          try (Policy onePass = Policy.create(TINY, opt, 5, lora);
              Policy twoPass = Policy.create(TINY, opt, 5, lora)) {
            onePass.setPassTokens(budget);
            twoPass.setPassTokens(budget);
            assertEquals(PassLayout.SHARED_PREFIX, onePass.passLayout());
            double[][] logpOld = sampler(twoPass.score(b.prompts(), b.responses(), 1.0), rng);
            for (int epoch = 0; epoch < 2; epoch++) {
              LossResult[] seen = new LossResult[1];
              UpdateStats a =
                  onePass.update(
                      b.prompts(),
                      b.responses(),
                      1.0,
                      current -> {
                        seen[0] =
                            algorithm.loss(
                                credit
                                    .lossInput(current.logprobs(), logpOld, null, 8)
                                    .withEntropies(current.entropies()));
                        return new UpdateObjective.Coefficients(
                            seen[0].gradLogpNew(), seen[0].gradEntropy());
                      });
              TokenScores current = twoPass.score(b.prompts(), b.responses(), 1.0);
              LossResult loss =
                  algorithm.loss(
                      credit
                          .lossInput(current.logprobs(), logpOld, null, 8)
                          .withEntropies(current.entropies()));
              UpdateStats s =
                  twoPass.update(
                      b.prompts(),
                      b.responses(),
                      loss.gradLogpNew(),
                      null,
                      loss.gradEntropy(),
                      1.0);
              assertFalse(a.skipped(), what + ": " + a.skipReason());
              assertFalse(s.skipped(), what + ": " + s.skipReason());
              assertEquals(loss.loss(), seen[0].loss(), 1e-6, what);
              assertTrue(loss.metrics().containsKey(Metrics.ACTOR_RATIO_MEAN), what);
              for (Map.Entry<String, Double> m : loss.metrics().entrySet()) {
                assertEquals(m.getValue(), seen[0].metrics().get(m.getKey()), 1e-6, what + m);
              }
              assertEquals(s.loss(), a.loss(), 1e-6, what);
              assertEquals(s.gradNorm(), a.gradNorm(), 1e-5 * s.gradNorm(), what);
              assertTrue(a.gradNorm() > 0, what);
            }
            Map<String, float[]> wa = onePass.exportWeights();
            twoPass
                .exportWeights()
                .forEach((k, w) -> assertArrayEquals(w, wa.get(k), 1e-6f, what + " " + k));
          }
        }
      }
    }
  }

  /** The sampler's log-probs: the trainer's, off by up to ±0.05 (so ratios are not all 1). */
  static double[][] sampler(TokenScores trainer, Random rng) {
    double[][] out = new double[trainer.logprobs().length][];
    for (int i = 0; i < out.length; i++) {
      out[i] = trainer.logprobs()[i].clone();
      for (int t = 0; t < out[i].length; t++) {
        out[i][t] += 0.1 * (rng.nextDouble() - 0.5);
      }
    }
    return out;
  }
}
