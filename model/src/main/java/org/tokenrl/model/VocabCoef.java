package org.tokenrl.model;

/**
 * Sparse loss coefficients over the vocabulary at one response position: {@code values[j]} is
 * dLoss/dlog p(ids[j] | prefix). Ids may repeat (their coefficients add). This is how {@link
 * Policy#update} takes full-distribution losses (OTR) without an [N, T, V] array.
 */
public record VocabCoef(int[] ids, float[] values) {
  public VocabCoef {
    if (ids.length != values.length) {
      throw new IllegalArgumentException(
          "VocabCoef has " + ids.length + " ids but " + values.length + " values");
    }
  }

  /** The nonzero entries of a dense row. */
  public static VocabCoef ofDense(double[] dense) {
    int nonzero = 0;
    for (double c : dense) {
      nonzero += c != 0 ? 1 : 0;
    }
    int[] ids = new int[nonzero];
    float[] values = new float[nonzero];
    int j = 0;
    for (int v = 0; v < dense.length; v++) {
      if (dense[v] != 0) {
        ids[j] = v;
        values[j++] = (float) dense[v];
      }
    }
    return new VocabCoef(ids, values);
  }
}
