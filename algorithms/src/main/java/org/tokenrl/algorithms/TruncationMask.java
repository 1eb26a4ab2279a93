package org.tokenrl.algorithms;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code mask_truncated = true}: drops every token of responses that hit the length limit (DAPO's
 * overlong filtering, TRL {@code mask_truncated_completions}). Their rewards still entered the
 * group statistics of the wrapped assigner, and they leave the normaliser too.
 */
final class TruncationMask implements CreditAssigner {
  private final CreditAssigner base;

  TruncationMask(CreditAssigner base) {
    this.base = base;
  }

  @Override
  public TokenCredit assign(CreditInput in) {
    TokenCredit c = base.assign(in);
    boolean shared = c.keep() == c.denominatorMask();
    boolean[][] keep = c.keep().clone();
    boolean[][] denominator = shared ? keep : c.denominatorMask().clone();
    int truncated = 0;
    for (int i = 0; i < in.size(); i++) {
      if (in.isTruncated(i)) {
        truncated++;
        keep[i] = new boolean[keep[i].length];
        if (!shared) {
          denominator[i] = new boolean[denominator[i].length];
        }
      }
    }
    Map<String, Double> metrics = new LinkedHashMap<>(c.metrics());
    metrics.put("credit/truncated_frac", in.size() == 0 ? 0 : truncated / (double) in.size());
    return new TokenCredit(c.advantages(), keep, denominator, metrics);
  }
}
