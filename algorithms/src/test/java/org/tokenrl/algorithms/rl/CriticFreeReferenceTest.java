package org.tokenrl.algorithms.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.core.PythonRunner;

/**
 * GSPO, RLOO, REINFORCE++ and REINFORCE++-baseline against an independent numpy implementation
 * (src/test/python/critic_free_reference.py, written from the papers' and verl's definitions in
 * verl's padded form) on random ragged batches: advantages on every kept token and the loss.
 */
class CriticFreeReferenceTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private record Case(
      String algo,
      String hocon,
      double[] rewards,
      int groupSize,
      boolean[][] mask,
      double[][] lpNew,
      double[][] lpOld,
      double epsLow,
      double epsHigh) {}

  private static Case randomCase(Random rnd, String algo, String hocon, double lo, double hi) {
    int g = 2 + rnd.nextInt(4);
    int n = g * (1 + rnd.nextInt(4));
    double[] r = new double[n];
    boolean[][] mask = new boolean[n][];
    double[][] lpOld = new double[n][];
    double[][] lpNew = new double[n][];
    // verl's REINFORCE++ scan resets its return at a masked token, so interior masks (multi-turn)
    // are only compared for the estimators that broadcast one value per response
    boolean interior = !algo.equals("reinforce_pp");
    double noise = algo.equals("gspo") && lo < 0.01 ? 0.002 : 0.2;
    for (int i = 0; i < n; i++) {
      r[i] = rnd.nextBoolean() ? rnd.nextInt(2) : rnd.nextGaussian();
      if (i % g == 0 && rnd.nextInt(4) == 0) {
        r[i] = 1; // some constant groups
        for (int j = 1; j < g; j++) {
          r[i + j] = 1;
        }
        i += g - 1;
      }
    }
    for (int i = 0; i < n; i++) {
      int len = 1 + rnd.nextInt(6);
      mask[i] = new boolean[len];
      lpOld[i] = new double[len];
      lpNew[i] = new double[len];
      for (int t = 0; t < len; t++) {
        mask[i][t] = !interior || t == 0 || rnd.nextInt(4) != 0;
        lpOld[i][t] = -0.1 - 2 * rnd.nextDouble();
        lpNew[i][t] = lpOld[i][t] + noise * rnd.nextGaussian();
      }
    }
    return new Case(algo, hocon, r, g, mask, lpNew, lpOld, lo, hi);
  }

  private static List<Case> cases() {
    Random rnd = new Random(20251207);
    List<Case> cases = new ArrayList<>();
    for (int k = 0; k < 6; k++) {
      cases.add(randomCase(rnd, "gspo", "name = gspo", 3e-4, 4e-4));
      cases.add(
          randomCase(
              rnd, "gspo", "name = gspo, clip_eps_low = 0.1, clip_eps_high = 0.15", 0.1, 0.15));
      cases.add(randomCase(rnd, "gspo", "name = gspo, variant = token", 3e-4, 4e-4));
      cases.add(randomCase(rnd, "rloo", "name = rloo", 0.2, 0.2));
      cases.add(randomCase(rnd, "reinforce_pp", "name = reinforce_pp", 0.2, 0.2));
      cases.add(randomCase(rnd, "reinforce_pp_baseline", "name = reinforce_pp_baseline", 0.2, 0.2));
    }
    return cases;
  }

  private static Map<String, Object> json(Case c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("algo", c.algo());
    m.put("rewards", c.rewards());
    m.put("group_size", c.groupSize());
    List<int[]> mask = new ArrayList<>();
    for (boolean[] row : c.mask()) {
      int[] ints = new int[row.length];
      for (int t = 0; t < row.length; t++) {
        ints[t] = row[t] ? 1 : 0;
      }
      mask.add(ints);
    }
    m.put("mask", mask);
    m.put("logp_new", c.lpNew());
    m.put("logp_old", c.lpOld());
    m.put("eps_low", c.epsLow());
    m.put("eps_high", c.epsHigh());
    m.put("eps_adv", 1e-4);
    return m;
  }

  @Test
  void advantagesAndLossesMatchTheNumpyReference() throws Exception {
    List<Case> cases = cases();
    List<Map<String, Object>> in = new ArrayList<>();
    for (Case c : cases) {
      in.add(json(c));
    }
    String script = Files.readString(Path.of("src/test/python/critic_free_reference.py"));
    JsonNode out = JSON.readTree(PythonRunner.runWithInput(script, JSON.writeValueAsString(in)));
    assertEquals(cases.size(), out.size());
    for (int k = 0; k < cases.size(); k++) {
      Case c = cases.get(k);
      String where = k + " " + c.hocon();
      RlAlgorithm algo = Algorithms.create(c.hocon());
      int[][] tokens = new int[c.rewards().length][];
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = new int[c.mask()[i].length];
      }
      RlBatch batch =
          new RlBatch(c.rewards(), tokens, c.groupSize(), null, null, null, c.mask(), 0);
      TokenCredit credit = algo.credit(batch);
      credit.requireWithin(batch.lossMask(), algo.name());
      JsonNode adv = out.get(k).get("advantages");
      for (int i = 0; i < tokens.length; i++) {
        for (int t = 0; t < tokens[i].length; t++) {
          double expected = c.mask()[i][t] ? adv.get(i).get(t).asDouble() : 0.0;
          assertEquals(
              expected, credit.advantages()[i][t], 1e-9, where + " A[" + i + "][" + t + "]");
        }
      }
      double loss = algo.loss(credit.lossInput(c.lpNew(), c.lpOld(), null, 8)).loss();
      assertEquals(out.get(k).get("loss").asDouble(), loss, 1e-9, where + " loss");
    }
  }
}
