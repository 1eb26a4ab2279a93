package org.tokenrl.model;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tokenrl.model.nn.Ops;
import org.tokenrl.model.nn.Tensors;

/** Loading float copies into live parameter (or moment) arrays. */
final class Weights {
  private Weights() {}

  /**
   * Assigns {@code values} to {@code targets}, in place; the names must match and every size must
   * agree, checked before anything is written.
   */
  static void assignAll(Map<String, INDArray> targets, Map<String, float[]> values, String what) {
    if (!targets.keySet().equals(values.keySet())) {
      throw new IllegalArgumentException(
          what
              + " names do not match the model: expected "
              + targets.keySet()
              + ", got "
              + values.keySet());
    }
    for (Map.Entry<String, INDArray> e : targets.entrySet()) {
      float[] src = values.get(e.getKey());
      INDArray dst = e.getValue();
      if (src.length != dst.length()) {
        throw new IllegalArgumentException(
            what
                + " '"
                + e.getKey()
                + "' has "
                + src.length
                + " values, the model needs "
                + dst.length()
                + " (shape "
                + java.util.Arrays.toString(dst.shape())
                + ")");
      }
    }
    for (Map.Entry<String, INDArray> e : targets.entrySet()) {
      INDArray dst = e.getValue();
      INDArray src = Tensors.array(values.get(e.getKey()), dst.dataType(), dst.shape());
      dst.assign(src);
      Ops.free(src);
    }
  }
}
