package org.tokenrl.rollout;

/** Per-row sampling seeds derived from a step seed, independent of worker layout. */
public final class RowSeeds {
  private RowSeeds() {}

  /** Seed for response {@code k} of prompt {@code p} in a batch sampled with {@code seed}. */
  public static long of(long seed, int p, int k) {
    return mix(mix(seed ^ 0x9E3779B97F4A7C15L) + p * 0xBF58476D1CE4E5B9L + k);
  }

  /** SplitMix64 finaliser: spreads nearby inputs to unrelated seeds. */
  public static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
