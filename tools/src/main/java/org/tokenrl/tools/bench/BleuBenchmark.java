package org.tokenrl.tools.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.tokenrl.rewards.BleuConfig;
import org.tokenrl.rewards.BleuNltk;
import org.tokenrl.rewards.ReferenceBleu;
import org.tokenrl.rewards.Smoothing;
import org.tokenrl.rewards.TensorBleu;

/**
 * {@code tokenrl bench bleu}: per-sentence BLEU time of {@link TensorBleu}, {@link ReferenceBleu}
 * (plain Java loop) and NLTK's {@code sentence_bleu} in a python loop, on the same random batches.
 *
 * <p>Each reference has random ids and a length within ±10% of L; each candidate (length L) copies
 * the reference token at the same position with probability {@code --overlap} and is random
 * otherwise, so matches occur at every order as for a policy imitating references. Java times are
 * medians of 11 (TensorBleu) or 5 (ReferenceBleu) runs after JIT warm-up; NLTK runs once per
 * configuration in one python process, timed inside python. The last column is the largest relative
 * difference from NLTK's scores.
 *
 * <p>Options: {@code --quick} (B, L in {64, 256}), {@code --vocab V} (default 32000), {@code
 * --overlap P} (default 0.5), {@code --smoothing methodK} (default method1), {@code --no-nltk},
 * {@code --nd4j} (also time ND4J's unique and bincount ops against the Java radix sort).
 */
public final class BleuBenchmark {
  private BleuBenchmark() {}

  /** Runs the benchmark; options as {@code ./tokenrl bench bleu --help} describes them. */
  public static void run(
      boolean quick, boolean nltk, boolean nd4j, int vocab, double overlap, Smoothing smoothing) {
    int[] sizes = quick ? new int[] {64, 256} : new int[] {64, 256, 1024};
    BleuConfig cfg = BleuConfig.of(4, smoothing);
    System.out.printf(
        Locale.ROOT,
        "BLEU-4 %s, vocab %d, overlap %.2f, OMP_NUM_THREADS=%s, %d cores%n",
        smoothing.nltkName(),
        vocab,
        overlap,
        System.getenv("OMP_NUM_THREADS"),
        Runtime.getRuntime().availableProcessors());
    System.out.printf(
        Locale.ROOT,
        "%5s %5s %12s %12s %12s %9s %9s %11s%n",
        "B",
        "L",
        "tensor ms",
        "javaloop ms",
        "nltk ms",
        "x nltk",
        "x loop",
        "max rel");
    Random rng = new Random(42);
    Data warmup = Data.random(rng, 128, 256, vocab, overlap); // JIT-compile both Java paths first
    medianMs(() -> new TensorBleu(cfg).sentenceBleu(warmup.cands, warmup.refs), 20, 1);
    medianMs(() -> new ReferenceBleu(cfg).sentenceBleu(warmup.cands, warmup.refs), 5, 1);
    for (int b : sizes) {
      for (int l : sizes) {
        Data data = Data.random(rng, b, l, vocab, overlap);
        runConfig(cfg, data, nltk);
      }
    }
    if (nd4j) {
      compareNd4jKernels(rng, vocab);
    }
  }

  private static void runConfig(BleuConfig cfg, Data data, boolean withNltk) {
    TensorBleu tensor = new TensorBleu(cfg);
    ReferenceBleu loop = new ReferenceBleu(cfg);
    double[] scores = tensor.sentenceBleu(data.cands, data.refs);
    double tensorMs = medianMs(() -> tensor.sentenceBleu(data.cands, data.refs), 3, 11);
    double loopMs = medianMs(() -> loop.sentenceBleu(data.cands, data.refs), 1, 5);
    double maxRel = relDiff(scores, loop.sentenceBleu(data.cands, data.refs));
    double nltkMs = Double.NaN;
    if (withNltk) {
      Map<String, Object> request = new LinkedHashMap<>();
      request.put("task", "time");
      request.put("weights", cfg.weights());
      request.put("smoothing", cfg.smoothing().nltkName());
      request.put("candidates", data.cands);
      request.put("references", data.refs);
      JsonNode answer = BleuNltk.run(request);
      nltkMs = answer.get("ms").asDouble();
      maxRel = Math.max(maxRel, relDiff(scores, BleuNltk.doubles(answer.get("scores"))));
    }
    System.out.printf(
        Locale.ROOT,
        "%5d %5d %12.2f %12.2f %12.1f %9.1f %9.1f %11.1e%n",
        data.cands.length,
        data.cands[0].length,
        tensorMs,
        loopMs,
        nltkMs,
        nltkMs / tensorMs,
        loopMs / tensorMs,
        maxRel);
  }

  /**
   * Times the dictionary step alone on the unigram keys of a B=64 batch, at two lengths: ND4J's
   * {@code unique} + {@code bincount} custom ops against {@link TensorBleu#radixSort} plus a scan
   * (one sort over the whole array here, not per sentence).
   */
  private static void compareNd4jKernels(Random rng, int vocab) {
    System.out.println();
    System.out.printf(
        Locale.ROOT, "%8s %14s %14s %14s%n", "keys", "nd4j unique ms", "nd4j bincnt ms", "java ms");
    for (int l : new int[] {64, 256}) {
      Data data = Data.random(rng, 64, l, vocab, 0.5);
      List<Long> keyList = new ArrayList<>();
      for (int b = 0; b < data.cands.length; b++) {
        for (int id : data.cands[b]) {
          keyList.add((long) b * (vocab + 1) + id);
        }
        for (int[] ref : data.refs[b]) {
          for (int id : ref) {
            keyList.add((long) b * (vocab + 1) + id);
          }
        }
      }
      long[] keys = keyList.stream().mapToLong(Long::longValue).toArray();
      INDArray[] unique = new INDArray[1];
      double uniqueMs =
          medianMs(
              () ->
                  unique[0] =
                      Nd4j.exec(
                          DynamicCustomOp.builder("unique")
                              .addInputs(Nd4j.createFromArray(keys))
                              .build())[1],
              1,
              3);
      INDArray inverse = unique[0].castTo(DataType.INT32);
      double bincountMs =
          medianMs(
              () -> Nd4j.exec(DynamicCustomOp.builder("bincount").addInputs(inverse).build()),
              1,
              3);
      double javaMs = medianMs(() -> javaUniqueCounts(keys), 2, 7);
      System.out.printf(
          Locale.ROOT, "%8d %14.2f %14.2f %14.2f%n", keys.length, uniqueMs, bincountMs, javaMs);
    }
  }

  /** The Java equivalent of unique + bincount: radix sort, then run lengths. */
  private static int[] javaUniqueCounts(long[] keys) {
    int m = keys.length;
    long[] sorted = keys.clone();
    TensorBleu.radixSort(sorted, new int[m], new long[m], new int[m], 0, m);
    int[] counts = new int[m];
    int u = -1;
    for (int i = 0; i < m; i++) {
      if (i == 0 || sorted[i] != sorted[i - 1]) {
        u++;
      }
      counts[u]++;
    }
    return counts;
  }

  private static double relDiff(double[] a, double[] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      double scale = Math.max(Math.abs(a[i]), Math.abs(b[i]));
      if (scale > 0) {
        max = Math.max(max, Math.abs(a[i] - b[i]) / scale);
      }
    }
    return max;
  }

  private static double medianMs(Runnable task, int warmups, int runs) {
    for (int i = 0; i < warmups; i++) {
      task.run();
    }
    System.gc(); // so that garbage of the previous measurement is not collected during this one
    double[] ms = new double[runs];
    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      task.run();
      ms[i] = (System.nanoTime() - start) / 1e6;
    }
    Arrays.sort(ms);
    return ms[runs / 2];
  }

  /** One benchmark batch: B candidates of length L, one reference each. */
  private record Data(int[][] cands, int[][][] refs) {
    static Data random(Random rng, int b, int l, int vocab, double overlap) {
      int[][] cands = new int[b][l];
      int[][][] refs = new int[b][1][];
      for (int i = 0; i < b; i++) {
        int refLen = Math.max(1, l + (int) Math.round((rng.nextDouble() * 0.2 - 0.1) * l));
        int[] ref = new int[refLen];
        for (int t = 0; t < refLen; t++) {
          ref[t] = rng.nextInt(vocab);
        }
        for (int t = 0; t < l; t++) {
          cands[i][t] = t < refLen && rng.nextDouble() < overlap ? ref[t] : rng.nextInt(vocab);
        }
        refs[i][0] = ref;
      }
      return new Data(cands, refs);
    }
  }
}
