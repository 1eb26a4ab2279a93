package org.tokenrl.tools.credit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.algorithms.preference.Cdpo.ContrastiveEstimation;
import org.tokenrl.algorithms.preference.PreferenceAlgorithm;
import org.tokenrl.algorithms.preference.Treg.TokenRewards;

/**
 * The token-level signal of a preference algorithm computed from given inputs, for {@code tokenrl
 * credit --algorithm treg|cdpo}: T-REG's token rewards r̂ of both responses, or cDPO's scores s_t
 * and weights w_t of the rejected response (w above {@link #CRITICAL} marks a critical token).
 *
 * <pre>
 * treg: {"chosen": [ids], "rejected": [ids],
 *        "better_logp": {"chosen": [...], "rejected": [...]}, "worse_logp": {...}}
 *   →   {"token_reward_chosen": [...], "token_reward_rejected": [...]}
 * cdpo: {"rejected": [ids], "z_pos": [[V logits] per token], "z_neg": [[...]], "eos": false}
 *   →   {"scores": [...], "weights": [...], "critical": [0/1, ...]}
 * </pre>
 *
 * {@code eos: true} says the last rejected token is EOS, which then gets {@code eos_weight}.
 */
public final class PairCredit {
  /** Weight above which cDPO's token counts as critical in the output and the page. */
  public static final double CRITICAL = 0.5;

  /**
   * One scored response.
   *
   * @param label "chosen" / "rejected"
   * @param tokens its ids
   * @param values r̂ (treg) or w (cdpo) per token
   * @param critical per token, cdpo only (null for treg)
   */
  public record Row(String label, int[] tokens, double[] values, boolean[] critical) {}

  private final String name;
  private final Config settings;

  private PairCredit(String name, Config settings) {
    this.name = name;
    this.settings = settings;
  }

  /** The pair-credit view of {@code treg} or {@code cdpo}, configured by the block. */
  public static PairCredit create(Config block) {
    PreferenceAlgorithm algo = Algorithms.createPreference(block);
    if (!algo.needsTokenRewards() && !algo.needsCriticalWeights()) {
      throw new IllegalArgumentException(
          "'"
              + algo.name()
              + "' gives every token of a response its sequence's credit; token credit is shown"
              + " for treg (token rewards) and cdpo (critical-token weights)");
    }
    return new PairCredit(algo.name(), algo.settings());
  }

  public Config settings() {
    return settings;
  }

  public boolean isTreg() {
    return name.equals("treg");
  }

  /** Scores one input line; the rows go to the page, the returned object to stdout. */
  public Row[] score(JsonNode node) {
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException("expected a JSON object (see tokenrl credit --help)");
    }
    return isTreg() ? treg(node) : cdpo(node);
  }

  public ObjectNode toJson(ObjectMapper json, Row[] rows) {
    ObjectNode o = json.createObjectNode();
    if (isTreg()) {
      for (Row r : rows) {
        array(o.putArray("token_reward_" + r.label()), r.values());
      }
      return o;
    }
    Row r = rows[0];
    double[] scores = new double[r.values().length];
    for (int t = 0; t < scores.length; t++) {
      scores[t] = 1 - r.values()[t];
    }
    array(o.putArray("scores"), scores);
    array(o.putArray("weights"), r.values());
    ArrayNode crit = o.putArray("critical");
    for (boolean c : r.critical()) {
      crit.add(c ? 1 : 0);
    }
    return o;
  }

  private Row[] treg(JsonNode node) {
    int[] chosen = ids(node, "chosen");
    int[] rejected = ids(node, "rejected");
    double[][] better = {
      numbers(field(node, "better_logp"), "chosen", "better_logp", chosen.length),
      numbers(field(node, "better_logp"), "rejected", "better_logp", rejected.length)
    };
    double[][] worse = {
      numbers(field(node, "worse_logp"), "chosen", "worse_logp", chosen.length),
      numbers(field(node, "worse_logp"), "rejected", "worse_logp", rejected.length)
    };
    double[][] r = TokenRewards.contrastive(better, worse);
    return new Row[] {
      new Row("chosen", chosen, r[0], null), new Row("rejected", rejected, r[1], null)
    };
  }

  private Row[] cdpo(JsonNode node) {
    int[] rejected = ids(node, "rejected");
    double[][] zPos = matrix(node, "z_pos", rejected.length);
    double[][] zNeg = matrix(node, "z_neg", rejected.length);
    JsonNode eos = node.get("eos");
    if (eos != null && !eos.isBoolean()) {
      throw new IllegalArgumentException("\"eos\" must be true or false");
    }
    double[] s = ContrastiveEstimation.scores(zPos, zNeg, rejected, settings.getDouble("lambda"));
    double[] w =
        ContrastiveEstimation.weights(
            s, eos != null && eos.booleanValue(), settings.getDouble("eos_weight"));
    boolean[] critical = new boolean[w.length];
    for (int t = 0; t < w.length; t++) {
      critical[t] = w[t] > CRITICAL;
    }
    return new Row[] {new Row("rejected", rejected, w, critical)};
  }

  private static JsonNode field(JsonNode node, String key) {
    JsonNode v = node.get(key);
    if (v == null || !v.isObject()) {
      throw new IllegalArgumentException(
          "\"" + key + "\" must be an object {\"chosen\": [...], \"rejected\": [...]}");
    }
    return v;
  }

  private static int[] ids(JsonNode node, String key) {
    JsonNode row = node.get(key);
    if (row == null || !row.isArray()) {
      throw new IllegalArgumentException("\"" + key + "\" must be an array of token ids");
    }
    int[] out = new int[row.size()];
    for (int t = 0; t < out.length; t++) {
      if (!row.get(t).isIntegralNumber() || !row.get(t).canConvertToInt()) {
        throw new IllegalArgumentException(key + "[" + t + "] is not a token id: " + row.get(t));
      }
      out[t] = row.get(t).intValue();
    }
    return out;
  }

  private static double[] numbers(JsonNode parent, String key, String where, int length) {
    JsonNode row = parent.get(key);
    String name = where + "." + key;
    if (row == null || !row.isArray() || row.size() != length) {
      throw new IllegalArgumentException(
          "\"" + name + "\" must be an array with one log-prob per token (" + length + ")");
    }
    double[] out = new double[length];
    for (int t = 0; t < length; t++) {
      if (!row.get(t).isNumber()) {
        throw new IllegalArgumentException(name + "[" + t + "] is not a number: " + row.get(t));
      }
      out[t] = row.get(t).doubleValue();
    }
    return out;
  }

  private static double[][] matrix(JsonNode node, String key, int rows) {
    JsonNode m = node.get(key);
    if (m == null || !m.isArray() || m.size() != rows) {
      throw new IllegalArgumentException(
          "\"" + key + "\" must hold one logit row per rejected token (" + rows + ")");
    }
    double[][] out = new double[rows][];
    for (int t = 0; t < rows; t++) {
      JsonNode row = m.get(t);
      if (!row.isArray()) {
        throw new IllegalArgumentException(key + "[" + t + "] must be an array of logits");
      }
      out[t] = new double[row.size()];
      for (int v = 0; v < out[t].length; v++) {
        if (!row.get(v).isNumber()) {
          throw new IllegalArgumentException(key + "[" + t + "][" + v + "] is not a number");
        }
        out[t][v] = row.get(v).doubleValue();
      }
    }
    return out;
  }

  private static void array(ArrayNode a, double[] values) {
    for (double v : values) {
      a.add(v);
    }
  }
}
