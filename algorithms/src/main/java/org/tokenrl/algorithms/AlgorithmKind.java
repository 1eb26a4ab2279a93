package org.tokenrl.algorithms;

/** Which trainer loop an algorithm needs, and so which factory of {@link Algorithms} builds it. */
public enum AlgorithmKind {
  /** On-policy RL from rollouts and rewards: {@link Algorithms#create} → {@link RlAlgorithm}. */
  RL,
  /** Pairs of chosen/rejected responses: {@link Algorithms#createPreference}. */
  PREFERENCE,
  /** Teacher-forced ground-truth responses: {@link Algorithms#createSupervised}. */
  SUPERVISED
}
