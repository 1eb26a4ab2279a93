package org.tokenrl.trainer.preference;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.tokenrl.core.PreferenceBatch;
import org.tokenrl.core.PreferencePair;
import org.tokenrl.core.PreferenceSchema.TokenWeights;

/**
 * A preference run's dataset on disk, as Arrow IPC files in {@code <run dir>/preference/}: {@code
 * pairs.arrow} (training pairs with reference log-probs and T-REG / cDPO token weights) and {@code
 * eval_pairs.arrow} (held-out pairs with reference log-probs). Written once when the main phase
 * starts; a resumed run reads them instead of sampling and scoring again. The trainer always trains
 * on the values read back (float32), so a resumed run equals an uninterrupted one.
 */
final class PreferenceCache {
  private final Path dir;
  private final BufferAllocator allocator;

  PreferenceCache(Path dir, BufferAllocator allocator) {
    this.dir = dir;
    this.allocator = allocator;
  }

  Path directory() {
    return dir;
  }

  boolean exists() {
    return Files.isRegularFile(pairsFile()) && Files.isRegularFile(evalFile());
  }

  void save(PreferenceData data, PreferenceEval eval) {
    TokenWeights kind =
        data.tokenRewardChosen() != null
            ? TokenWeights.TREG
            : data.tokenWeightRejected() != null ? TokenWeights.CDPO : TokenWeights.NONE;
    List<PreferencePair> rows = new ArrayList<>();
    for (int i = 0; i < data.size(); i++) {
      CandidatePair p = data.pairs().get(i);
      float[] wChosen = kind == TokenWeights.TREG ? floats(data.tokenRewardChosen()[i]) : null;
      float[] wRejected =
          switch (kind) {
            case TREG -> floats(data.tokenRewardRejected()[i]);
            case CDPO -> floats(data.tokenWeightRejected()[i]);
            default -> null;
          };
      rows.add(
          new PreferencePair(
              i,
              p.prompt(),
              p.chosen(),
              p.rejected(),
              floats(data.refChosen()[i]),
              floats(data.refRejected()[i]),
              wChosen,
              wRejected));
    }
    List<PreferencePair> evalRows = new ArrayList<>();
    for (int i = 0; i < eval.pairs().size(); i++) {
      CandidatePair p = eval.pairs().get(i);
      evalRows.add(
          new PreferencePair(
              i,
              p.prompt(),
              p.chosen(),
              p.rejected(),
              floats(eval.refChosen()[i]),
              floats(eval.refRejected()[i])));
    }
    try {
      Files.createDirectories(dir);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot create " + dir, e);
    }
    try (PreferenceBatch b = PreferenceBatch.of(allocator, kind, rows)) {
      b.writeFile(pairsFile());
    }
    try (PreferenceBatch b = PreferenceBatch.of(allocator, TokenWeights.NONE, evalRows)) {
      b.writeFile(evalFile());
    }
  }

  PreferenceData loadData() {
    try (PreferenceBatch b = PreferenceBatch.readFile(allocator, pairsFile())) {
      int n = b.size();
      List<CandidatePair> pairs = new ArrayList<>(n);
      double[][] refC = new double[n][];
      double[][] refR = new double[n][];
      double[][] wC = b.tokenWeights() == TokenWeights.TREG ? new double[n][] : null;
      double[][] wR = b.tokenWeights() != TokenWeights.NONE ? new double[n][] : null;
      for (int i = 0; i < n; i++) {
        pairs.add(new CandidatePair("", b.promptIds(i), b.chosenIds(i), b.rejectedIds(i)));
        refC[i] = PreferenceBatch.toDoubles(b.refChosenLogprobs(i));
        refR[i] = PreferenceBatch.toDoubles(b.refRejectedLogprobs(i));
        if (wC != null) {
          wC[i] = PreferenceBatch.toDoubles(b.chosenTokenWeights(i));
        }
        if (wR != null) {
          wR[i] = PreferenceBatch.toDoubles(b.rejectedTokenWeights(i));
        }
      }
      boolean treg = b.tokenWeights() == TokenWeights.TREG;
      return new PreferenceData(
          pairs,
          refC,
          refR,
          treg ? wC : null,
          treg ? wR : null,
          b.tokenWeights() == TokenWeights.CDPO ? wR : null);
    }
  }

  PreferenceEval loadEval() {
    try (PreferenceBatch b = PreferenceBatch.readFile(allocator, evalFile())) {
      List<CandidatePair> pairs = new ArrayList<>();
      double[][] refC = new double[b.size()][];
      double[][] refR = new double[b.size()][];
      for (int i = 0; i < b.size(); i++) {
        pairs.add(new CandidatePair("", b.promptIds(i), b.chosenIds(i), b.rejectedIds(i)));
        refC[i] = PreferenceBatch.toDoubles(b.refChosenLogprobs(i));
        refR[i] = PreferenceBatch.toDoubles(b.refRejectedLogprobs(i));
      }
      return PreferenceEval.of(pairs, refC, refR);
    }
  }

  private Path pairsFile() {
    return dir.resolve("pairs.arrow");
  }

  private Path evalFile() {
    return dir.resolve("eval_pairs.arrow");
  }

  private static float[] floats(double[] x) {
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = (float) x[i];
    }
    return out;
  }
}
