package org.tokenrl.trainer.loop;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.tokenrl.rollout.RowSeeds;

/**
 * Training items (examples, preference pairs) in seeded epochs: each epoch is a fresh permutation,
 * and the items of a step are a pure function of (seed, step), so a resumed run sees exactly the
 * batches it would have.
 */
public final class ExampleStream<T> {
  private final List<T> examples;
  private final long seed;

  public ExampleStream(List<T> examples, long seed) {
    if (examples.isEmpty()) {
      throw new IllegalArgumentException("the task has no training examples");
    }
    this.examples = examples;
    this.seed = seed;
  }

  /** The {@code size} examples of step {@code step} (steps count from 1). */
  public List<T> batch(long step, int size) {
    List<T> out = new ArrayList<>(size);
    long first = (step - 1) * size;
    int n = examples.size();
    int[] order = null;
    long orderEpoch = -1;
    for (long k = first; k < first + size; k++) {
      long epoch = k / n;
      if (epoch != orderEpoch) {
        order = permutation(n, RowSeeds.mix(seed * 31 + epoch));
        orderEpoch = epoch;
      }
      out.add(examples.get(order[(int) (k % n)]));
    }
    return out;
  }

  /**
   * {@code size} further distinct examples for sampling round {@code round} (>= 1) of step {@code
   * step}, for dynamic sampling's refill: a pure function of (seed, step, round), so a resumed run
   * refills exactly as the uninterrupted one did. They may overlap the step's regular batch.
   */
  public List<T> extraBatch(long step, int round, int size) {
    int[] order =
        permutation(examples.size(), RowSeeds.mix(RowSeeds.mix(seed * 31 + step) + round));
    List<T> out = new ArrayList<>(size);
    for (int k = 0; k < size; k++) {
      out.add(examples.get(order[k % order.length]));
    }
    return out;
  }

  private static int[] permutation(int n, long seed) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    Random rng = new Random(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
