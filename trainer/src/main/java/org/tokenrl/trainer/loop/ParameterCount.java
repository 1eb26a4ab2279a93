package org.tokenrl.trainer.loop;

import java.util.Map;
import org.tokenrl.model.Policy;

/**
 * Trainable and total parameters of a policy, printed in PEFT's {@code print_trainable_parameters}
 * format so a LoRA run reads as it would under PEFT: {@code trainable params: 3,072 || all params:
 * 134,518,848 || trainable%: 0.0023}.
 */
record ParameterCount(long trainable, long all) {

  static ParameterCount of(Policy policy) {
    long all = 0;
    for (long[] shape : policy.parameterShapes().values()) {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      all += n;
    }
    long trainable = all;
    if (policy.lora().enabled()) {
      trainable = 0;
      for (Map.Entry<String, float[]> a : policy.adapterWeights().entrySet()) {
        trainable += a.getValue().length;
      }
    }
    return new ParameterCount(trainable, all);
  }

  @Override
  public String toString() {
    return String.format(
        "trainable params: %,d || all params: %,d || trainable%%: %.4f",
        trainable, all, all == 0 ? 0.0 : 100.0 * trainable / all);
  }
}
