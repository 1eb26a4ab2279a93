package org.tokenrl.model;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.ListenerVariables;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The policy language model: a decoder-only transformer in SameDiff ({@link TransformerGraph}) that
 * scores, trains and samples. Sequences are {@code prompt ++ response}; every prompt must hold at
 * least one token (e.g. BOS), because response token t is predicted from everything before it. A
 * forward pass sees at most {@code maxSeqLen} tokens: {@code prompt.length + response.length <=
 * maxSeqLen + 1} (the last token is only a target).
 *
 * <p>Instances are not shared between threads in the framework (each rollout worker holds its own
 * {@link #copy()}), but all public methods are synchronized so accidental sharing stays correct.
 */
public final class Policy implements AutoCloseable {
  /** Order of the fit() features; must match the TrainingConfig's feature mapping. */
  private static final String[] FIT_FEATURES = {
    "tokens", "positions", "attnMask", "headShape", "invTemp", "coef"
  };

  private static final Object GRAD_BUILD_LOCK = new Object();

  private final ModelConfig cfg;
  private final TransformerGraph graph;
  private final AdamW adam;
  private final LossListener lossListener = new LossListener();
  private boolean trainingReady;
  private boolean closed;

  private Policy(ModelConfig cfg, OptimizerConfig opt, long seed, DataType dtype) {
    this.cfg = cfg;
    this.graph = new TransformerGraph(cfg, dtype, seed);
    this.adam = new AdamW(opt, graph.params);
  }

  /** A model with weights drawn deterministically from {@code seed} (float32). */
  public static Policy create(ModelConfig cfg, OptimizerConfig opt, long seed) {
    return new Policy(cfg, opt, seed, DataType.FLOAT);
  }

  /** Same, in another floating-point type (DOUBLE for finite-difference gradient checks). */
  static Policy create(ModelConfig cfg, OptimizerConfig opt, long seed, DataType dtype) {
    return new Policy(cfg, opt, seed, dtype);
  }

  public ModelConfig config() {
    return cfg;
  }

  public OptimizerConfig optimizerConfig() {
    return adam.config();
  }

  // ------------------------------------------------------------------ scoring

  /**
   * Per response-token log-prob and entropy of the temperature-scaled distribution
   * (logits/temperature), teacher-forced on prompt++response.
   */
  public synchronized TokenScores score(int[][] prompts, int[][] responses, double temperature) {
    TeacherForced tf = teacherForced(prompts, responses, temperature);
    double[][] logprobs = new double[prompts.length][];
    double[][] entropies = new double[prompts.length][];
    double[] lp = new double[0];
    double[] ent = new double[0];
    if (tf.batch.slots > 0) {
      Map<String, INDArray> ph = tf.placeholders();
      ph.put("targets", tf.targetOneHot());
      Map<String, INDArray> out = graph.full.output(ph, "tokLogp", "entropy");
      lp = toDoubles(out.get("tokLogp")); // [NT]
      ent = toDoubles(out.get("entropy")); // [NT]
    }
    for (int i = 0; i < prompts.length; i++) {
      logprobs[i] = new double[responses[i].length];
      entropies[i] = new double[responses[i].length];
      for (int t = 0; t < responses[i].length; t++) {
        logprobs[i][t] = lp[tf.flatRow(i, t)];
        entropies[i][t] = ent[tf.flatRow(i, t)];
      }
    }
    return new TokenScores(logprobs, entropies);
  }

  /** Full log-softmax rows at each response position: [N][responses[i].length][vocab]. */
  public synchronized float[][][] responseLogProbs(
      int[][] prompts, int[][] responses, double temperature) {
    TeacherForced tf = teacherForced(prompts, responses, temperature);
    int v = cfg.vocabSize();
    float[] logp = new float[0];
    if (tf.batch.slots > 0) {
      logp = toFloats(graph.full.output(tf.placeholders(), "logp").get("logp")); // [NT, V]
    }
    float[][][] rows = new float[prompts.length][][];
    for (int i = 0; i < prompts.length; i++) {
      rows[i] = new float[responses[i].length][];
      for (int t = 0; t < responses[i].length; t++) {
        int from = tf.flatRow(i, t) * v;
        rows[i][t] = java.util.Arrays.copyOfRange(logp, from, from + v);
      }
    }
    return rows;
  }

  // ------------------------------------------------------------------ training

  /**
   * One AdamW step on the surrogate loss
   *
   * <pre>
   *   L = sum_{i,t} targetCoef[i][t] * logp(y_{i,t})
   *     + sum_{i,t,v} vocabCoef[i][t][v] * logp(v | prefix)
   * </pre>
   *
   * where logp is the log-softmax of logits/temperature at response position t of row i. Passing
   * targetCoef = dLoss/dlogp from a previous {@link #score} call makes the parameter gradient that
   * of the caller's real loss (chain rule); e.g. SFT uses coef = -1/numTokens. {@code vocabCoef}
   * may be null. Gradients are clipped to {@code gradClipNorm} (global L2 norm). If a coefficient,
   * the loss or any gradient is NaN/Inf the step is skipped: weights and optimizer state stay
   * bit-identical and the stats say why.
   */
  public synchronized UpdateStats update(
      int[][] prompts,
      int[][] responses,
      double[][] targetCoef,
      float[][][] vocabCoef,
      double temperature) {
    Surrogate s = surrogate(prompts, responses, targetCoef, vocabCoef, temperature);
    if (s.skipReason != null) {
      return new UpdateStats(s.loss, s.gradNorm, true, s.skipReason);
    }
    double clip = adam.config().gradClipNorm();
    double scale = clip > 0 && s.gradNorm > clip ? clip / (s.gradNorm + 1e-6) : 1.0;
    adam.apply(graph.params, s.gradients, scale, graph::decays);
    return new UpdateStats(s.loss, s.gradNorm, false, "");
  }

  /**
   * Loss value and parameter gradients of the surrogate loss, without touching weights or optimizer
   * state. {@code skipReason} is non-null when they are unusable (non-finite inputs, loss or
   * gradient, or nothing to train on). The gradient arrays are reused by the next call.
   */
  record Surrogate(
      double loss, double gradNorm, Map<String, INDArray> gradients, String skipReason) {}

  synchronized Surrogate surrogate(
      int[][] prompts,
      int[][] responses,
      double[][] targetCoef,
      float[][][] vocabCoef,
      double temperature) {
    TeacherForced tf = teacherForced(prompts, responses, temperature);
    String bad = checkCoefficients(responses, targetCoef, vocabCoef);
    if (bad != null) {
      return new Surrogate(Double.NaN, Double.NaN, Map.of(), bad);
    }
    if (tf.batch.slots == 0) {
      return new Surrogate(0, 0, Map.of(), "no response tokens to train on");
    }
    Map<String, INDArray> ph = tf.placeholders();
    ph.put("coef", tf.coefficients(targetCoef, vocabCoef));
    ensureTrainingReady();
    INDArray[] features = new INDArray[FIT_FEATURES.length];
    for (int f = 0; f < features.length; f++) {
      features[f] = ph.get(FIT_FEATURES[f]);
    }
    lossListener.loss = Double.NaN;
    lossListener.coef = ph.get("coef");
    // fit() runs forward+backward; GradientCapture keeps each gradient and zeroes the update, so
    // fit leaves the weights untouched and only AdamW may change them, after the checks below.
    graph.full.fit(new MultiDataSet(features, new INDArray[0]), lossListener);
    Map<String, INDArray> grads = new LinkedHashMap<>();
    double squares = 0;
    for (String name : graph.params.keySet()) {
      INDArray g = ((GradientCapture.Buffer) graph.full.getUpdaterMap().get(name)).gradient();
      grads.put(name, g);
      double n = g.norm2Number().doubleValue();
      squares += n * n;
    }
    double loss = lossListener.loss;
    double norm = Math.sqrt(squares);
    String reason = null;
    if (!Double.isFinite(loss)) {
      reason = "non-finite loss " + loss;
    } else if (!Double.isFinite(norm)) {
      reason = "non-finite gradient (global norm " + norm + ")";
    }
    return new Surrogate(loss, norm, grads, reason);
  }

  TransformerGraph graph() {
    return graph;
  }

  /** The live parameter array (tests perturb it for finite differences). */
  INDArray parameter(String name) {
    return graph.params.get(name);
  }

  private static String checkCoefficients(
      int[][] responses, double[][] targetCoef, float[][][] vocabCoef) {
    if (targetCoef == null || targetCoef.length != responses.length) {
      throw new IllegalArgumentException("targetCoef must have one row per response");
    }
    for (int i = 0; i < responses.length; i++) {
      if (targetCoef[i].length != responses[i].length) {
        throw new IllegalArgumentException(
            "targetCoef["
                + i
                + "] has "
                + targetCoef[i].length
                + " entries but response "
                + i
                + " has "
                + responses[i].length
                + " tokens");
      }
      for (int t = 0; t < targetCoef[i].length; t++) {
        if (!Double.isFinite(targetCoef[i][t])) {
          return "non-finite targetCoef[" + i + "][" + t + "] = " + targetCoef[i][t];
        }
      }
      if (vocabCoef == null) {
        continue;
      }
      if (vocabCoef.length != responses.length || vocabCoef[i].length != responses[i].length) {
        throw new IllegalArgumentException("vocabCoef must be [N][responses[i].length][vocab]");
      }
      for (int t = 0; t < vocabCoef[i].length; t++) {
        for (float c : vocabCoef[i][t]) {
          if (!Float.isFinite(c)) {
            return "non-finite vocabCoef[" + i + "][" + t + "] entry " + c;
          }
        }
      }
    }
    return null;
  }

  /** Builds the gradient graph once; silences the "Added differentiated op" lines it prints. */
  private void ensureTrainingReady() {
    if (trainingReady) {
      return;
    }
    graph.full.setTrainingConfig(
        new TrainingConfig.Builder()
            .updater(new GradientCapture())
            .dataSetFeatureMapping(FIT_FEATURES)
            .markLabelsUnused()
            .build());
    synchronized (GRAD_BUILD_LOCK) {
      PrintStream out = System.out;
      System.setOut(new PrintStream(OutputStream.nullOutputStream()));
      try {
        graph.full.createGradFunction();
      } finally {
        System.setOut(out);
      }
    }
    trainingReady = true;
  }

  public synchronized void setLearningRate(double lr) {
    adam.setLearningRate(lr);
  }

  public synchronized double learningRate() {
    return adam.learningRate();
  }

  /** Number of applied (not skipped) optimizer steps. */
  public synchronized long optimizerStep() {
    return adam.step();
  }

  // ------------------------------------------------------------------ sampling

  /**
   * Samples up to {@code maxNewTokens} per prompt with the KV-cache decode graph: the prompts are
   * left-padded and prefilled by the full graph, then one decode-graph call per new token. Row i
   * draws from its own RNG seeded by {@code rowSeeds[i]}.
   */
  public synchronized Generation generate(int[][] prompts, SamplingParams params, long[] rowSeeds) {
    return decodeLoop(prompts, params, rowSeeds, true, null);
  }

  /** Same as {@link #generate} but re-running the full graph each step: the reference. */
  public synchronized Generation generateNoCache(
      int[][] prompts, SamplingParams params, long[] rowSeeds) {
    return decodeLoop(prompts, params, rowSeeds, false, null);
  }

  /**
   * The generation loop. {@code logitsSink}, if given, receives each step's raw logits [B][V]
   * (tests compare cached and uncached decoding with it).
   */
  synchronized Generation decodeLoop(
      int[][] prompts,
      SamplingParams params,
      long[] rowSeeds,
      boolean useCache,
      List<double[][]> logitsSink) {
    checkOpen();
    int b = prompts.length;
    int v = cfg.vocabSize();
    if (rowSeeds.length != b) {
      throw new IllegalArgumentException(
          "rowSeeds has " + rowSeeds.length + " seeds for " + b + " prompts");
    }
    int maxPrompt = 0;
    for (int i = 0; i < b; i++) {
      if (prompts[i].length == 0) {
        throw new IllegalArgumentException("prompt " + i + " is empty: start prompts with BOS");
      }
      maxPrompt = Math.max(maxPrompt, prompts[i].length);
    }
    if (maxPrompt + params.maxNewTokens() - 1 > cfg.maxSeqLen()) {
      throw new IllegalArgumentException(
          "longest prompt ("
              + maxPrompt
              + ") + maxNewTokens ("
              + params.maxNewTokens()
              + ") - 1 exceeds model.maxSeqLen ("
              + cfg.maxSeqLen()
              + "): lower sampling.maxNewTokens or shorten the prompts");
    }
    double temperature = params.scoringTemperature();
    SplittableRandom[] rngs = new SplittableRandom[b];
    List<List<Integer>> tokens = new ArrayList<>();
    List<List<Float>> logprobs = new ArrayList<>();
    List<List<Float>> entropies = new ArrayList<>();
    boolean[] active = new boolean[b];
    for (int i = 0; i < b; i++) {
      rngs[i] = new SplittableRandom(rowSeeds[i]);
      tokens.add(new ArrayList<>());
      logprobs.add(new ArrayList<>());
      entropies.add(new ArrayList<>());
      active[i] = true;
    }
    if (b == 0) {
      return new Generation(new int[0][], new float[0][], new float[0][], new boolean[0]);
    }
    Decoder decoder = useCache ? new CachedDecoder(prompts, temperature) : null;
    for (int step = 0; step < params.maxNewTokens(); step++) {
      StepOutput out =
          useCache
              ? (step == 0 ? decoder.prefill() : decoder.next(lastTokens(tokens), step))
              : fullStep(prompts, tokens, temperature);
      if (logitsSink != null) {
        logitsSink.add(out.logits);
      }
      boolean any = false;
      for (int i = 0; i < b; i++) {
        if (!active[i]) {
          continue;
        }
        int tok = Sampler.next(out.logits[i], params, rngs[i]);
        tokens.get(i).add(tok);
        logprobs.get(i).add((float) out.logp[i * v + tok]);
        entropies.get(i).add((float) out.entropy[i]);
        if (tok == params.eosId()) {
          active[i] = false;
        }
        any |= active[i];
      }
      if (!any) {
        break;
      }
    }
    int[][] responses = new int[b][];
    float[][] lps = new float[b][];
    float[][] ents = new float[b][];
    for (int i = 0; i < b; i++) {
      responses[i] = tokens.get(i).stream().mapToInt(Integer::intValue).toArray();
      lps[i] = unbox(logprobs.get(i));
      ents[i] = unbox(entropies.get(i));
    }
    return new Generation(responses, lps, ents, active.clone());
  }

  /** Logits [B][V], log-softmax at the sampling temperature [B*V] and entropies [B] of a step. */
  private record StepOutput(double[][] logits, double[] logp, double[] entropy) {}

  private interface Decoder {
    StepOutput prefill();

    StepOutput next(int[] lastTokens, int step);
  }

  /** The reference: the full graph over every row's prompt ++ generated tokens, left-padded. */
  private StepOutput fullStep(int[][] prompts, List<List<Integer>> generated, double temp) {
    int[][] seqs = new int[prompts.length][];
    for (int i = 0; i < prompts.length; i++) {
      List<Integer> g = generated.get(i);
      seqs[i] = java.util.Arrays.copyOf(prompts[i], prompts[i].length + g.size());
      for (int j = 0; j < g.size(); j++) {
        seqs[i][prompts[i].length + j] = g.get(j);
      }
    }
    PackedBatch batch = PackedBatch.leftPadded(seqs);
    Map<String, INDArray> out =
        graph.full.output(batch.inputs(cfg, graph.dtype, temp), "logits", "logp", "entropy");
    return lastSlots(batch, out);
  }

  /** Rows of the last slot of every sequence (all rows end there: left padding). */
  private StepOutput lastSlots(PackedBatch batch, Map<String, INDArray> out) {
    int v = cfg.vocabSize();
    double[] logits = toDoubles(out.get("logits")); // [NT, V]
    double[] logp = toDoubles(out.get("logp")); // [NT, V]
    double[] entropy = toDoubles(out.get("entropy")); // [NT]
    double[][] rowLogits = new double[batch.rows][];
    double[] rowLogp = new double[batch.rows * v];
    double[] rowEntropy = new double[batch.rows];
    for (int i = 0; i < batch.rows; i++) {
      int r = batch.flatRow(i, batch.slots - 1);
      rowLogits[i] = java.util.Arrays.copyOfRange(logits, r * v, (r + 1) * v);
      System.arraycopy(logp, r * v, rowLogp, i * v, v);
      rowEntropy[i] = entropy[r];
    }
    return new StepOutput(rowLogits, rowLogp, rowEntropy);
  }

  /**
   * KV-cache decoding. The cache has one slot per prompt slot (left-padded to P) plus one per
   * decoded token; pad slots stay masked for the whole generation.
   */
  private final class CachedDecoder implements Decoder {
    private final int[][] prompts;
    private final double temperature;
    private final PackedBatch batch;
    private final INDArray[] kCache;
    private final INDArray[] vCache;

    CachedDecoder(int[][] prompts, double temperature) {
      this.prompts = prompts;
      this.temperature = temperature;
      this.batch = PackedBatch.leftPadded(prompts);
      this.kCache = new INDArray[cfg.layers()];
      this.vCache = new INDArray[cfg.layers()];
    }

    @Override
    public StepOutput prefill() {
      List<String> names = new ArrayList<>(List.of("logits", "logp", "entropy"));
      names.addAll(graph.prefillCacheOutputs());
      Map<String, INDArray> out =
          graph.full.output(batch.inputs(cfg, graph.dtype, temperature), names);
      for (int l = 0; l < cfg.layers(); l++) {
        kCache[l] = out.get("k_" + l); // [B, P, H, hd]
        vCache[l] = out.get("v_" + l);
      }
      return lastSlots(batch, out);
    }

    @Override
    public StepOutput next(int[] lastTokens, int step) {
      int b = batch.rows;
      int v = cfg.vocabSize();
      int s = cfg.maxSeqLen();
      int cacheLen = batch.slots + step - 1; // slots already cached; the new token gets this one
      float[] tokens = new float[b * v];
      float[] positions = new float[b * s];
      float[] mask = new float[b * (cacheLen + 1)];
      for (int i = 0; i < b; i++) {
        tokens[i * v + lastTokens[i]] = 1f;
        positions[i * s + prompts[i].length + step - 1] = 1f;
        java.util.Arrays.fill(
            mask,
            i * (cacheLen + 1),
            i * (cacheLen + 1) + batch.offset[i],
            TransformerGraph.MASKED);
      }
      Map<String, INDArray> ph = new HashMap<>();
      ph.put("tokens", PackedBatch.array(tokens, graph.dtype, b, v));
      ph.put("positions", PackedBatch.array(positions, graph.dtype, b, s));
      ph.put("attnMask", PackedBatch.array(mask, graph.dtype, b, cacheLen + 1, 1));
      ph.put("headShape", Nd4j.createFromArray((long) b, 1, cfg.heads(), cfg.headDim()));
      ph.put("invTemp", Nd4j.scalar(graph.dtype, 1.0 / temperature));
      List<String> names = new ArrayList<>(List.of("logits", "logp", "entropy"));
      for (int l = 0; l < cfg.layers(); l++) {
        ph.put("kCache_" + l, kCache[l]);
        ph.put("vCache_" + l, vCache[l]);
        names.add("kOut_" + l);
        names.add("vOut_" + l);
      }
      Map<String, INDArray> out = graph.decode.output(ph, names);
      for (int l = 0; l < cfg.layers(); l++) {
        kCache[l] = out.get("kOut_" + l); // [B, C+1, H, hd]
        vCache[l] = out.get("vOut_" + l);
      }
      double[] logits = toDoubles(out.get("logits")); // [B, V]
      double[][] rows = new double[b][];
      for (int i = 0; i < b; i++) {
        rows[i] = java.util.Arrays.copyOfRange(logits, i * v, (i + 1) * v);
      }
      return new StepOutput(rows, toDoubles(out.get("logp")), toDoubles(out.get("entropy")));
    }
  }

  private static int[] lastTokens(List<List<Integer>> tokens) {
    int[] last = new int[tokens.size()];
    for (int i = 0; i < last.length; i++) {
      List<Integer> t = tokens.get(i);
      last[i] = t.get(t.size() - 1); // finished rows repeat their last token; output ignored
    }
    return last;
  }

  private static float[] unbox(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  // ------------------------------------------------------------------ weights

  /** Parameter values as float copies, in a stable order with stable names. */
  public synchronized LinkedHashMap<String, float[]> exportWeights() {
    checkOpen();
    LinkedHashMap<String, float[]> out = new LinkedHashMap<>();
    graph.params.forEach((name, arr) -> out.put(name, toFloats(arr)));
    return out;
  }

  /** Loads every parameter (names and sizes must match {@link #parameterShapes()}). */
  public synchronized void importWeights(Map<String, float[]> weights) {
    checkOpen();
    assignAll(graph.params, weights, "weights");
  }

  public synchronized Map<String, long[]> parameterShapes() {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    graph.params.forEach((name, arr) -> shapes.put(name, arr.shape()));
    return shapes;
  }

  /** Independent instance with the same weights and optimizer settings; fresh optimizer state. */
  public synchronized Policy copy() {
    checkOpen();
    Policy p = new Policy(cfg, adam.config(), 0, graph.dtype);
    p.importWeights(exportWeights());
    p.setLearningRate(learningRate());
    return p;
  }

  /** Adam moments as float copies named "m.<param>" and "v.<param>" (for checkpoints). */
  synchronized LinkedHashMap<String, float[]> exportOptimizerState() {
    LinkedHashMap<String, float[]> out = new LinkedHashMap<>();
    adam.m.forEach((name, arr) -> out.put("m." + name, toFloats(arr)));
    adam.v.forEach((name, arr) -> out.put("v." + name, toFloats(arr)));
    return out;
  }

  synchronized void importOptimizerState(Map<String, float[]> state, long step, double lr) {
    Map<String, float[]> m = new HashMap<>();
    Map<String, float[]> v = new HashMap<>();
    state.forEach(
        (key, value) -> {
          if (key.startsWith("m.")) {
            m.put(key.substring(2), value);
          } else if (key.startsWith("v.")) {
            v.put(key.substring(2), value);
          } else {
            throw new IllegalArgumentException("unexpected optimizer tensor " + key);
          }
        });
    assignAll(adam.m, m, "optimizer first moments");
    assignAll(adam.v, v, "optimizer second moments");
    adam.setStep(step);
    adam.setLearningRate(lr);
  }

  private void assignAll(Map<String, INDArray> targets, Map<String, float[]> values, String what) {
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
      dst.assign(PackedBatch.array(values.get(e.getKey()), dst.dataType(), dst.shape()));
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("this Policy is closed");
    }
  }

  // ------------------------------------------------------------------ teacher forcing

  /**
   * prompt ++ response without its last token, right-padded; response token t of row i is the
   * target of slot prompt.length - 1 + t.
   */
  private TeacherForced teacherForced(int[][] prompts, int[][] responses, double temperature) {
    checkOpen();
    if (prompts.length != responses.length) {
      throw new IllegalArgumentException(
          prompts.length + " prompts but " + responses.length + " responses");
    }
    if (!(temperature > 0)) {
      throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
    }
    int[][] inputs = new int[prompts.length][];
    for (int i = 0; i < prompts.length; i++) {
      if (prompts[i].length == 0) {
        throw new IllegalArgumentException("prompt " + i + " is empty: start prompts with BOS");
      }
      int[] sequence = java.util.Arrays.copyOf(prompts[i], prompts[i].length + responses[i].length);
      System.arraycopy(responses[i], 0, sequence, prompts[i].length, responses[i].length);
      inputs[i] = java.util.Arrays.copyOf(sequence, sequence.length - 1);
    }
    return new TeacherForced(PackedBatch.rightPadded(inputs), prompts, responses, temperature);
  }

  private final class TeacherForced {
    final PackedBatch batch;
    final int[][] prompts;
    final int[][] responses;
    final double temperature;

    TeacherForced(PackedBatch batch, int[][] prompts, int[][] responses, double temperature) {
      this.batch = batch;
      this.prompts = prompts;
      this.responses = responses;
      this.temperature = temperature;
    }

    int flatRow(int row, int t) {
      return batch.flatRow(row, prompts[row].length - 1 + t);
    }

    Map<String, INDArray> placeholders() {
      return batch.inputs(cfg, graph.dtype, temperature);
    }

    INDArray targetOneHot() { // [NT, V]
      int v = cfg.vocabSize();
      float[] data = new float[batch.rows * batch.slots * v];
      for (int i = 0; i < responses.length; i++) {
        for (int t = 0; t < responses[i].length; t++) {
          int y = responses[i][t];
          if (y < 0 || y >= v) {
            throw new IllegalArgumentException(
                "response token "
                    + y
                    + " (row "
                    + i
                    + ") is outside the vocabulary [0, "
                    + v
                    + ")");
          }
          data[flatRow(i, t) * v + y] = 1f;
        }
      }
      return PackedBatch.array(data, graph.dtype, (long) batch.rows * batch.slots, v);
    }

    /** coef[NT, V] = targetCoef at the target id + vocabCoef over the vocabulary. */
    INDArray coefficients(double[][] targetCoef, float[][][] vocabCoef) {
      int v = cfg.vocabSize();
      double[] data = new double[batch.rows * batch.slots * v];
      for (int i = 0; i < responses.length; i++) {
        for (int t = 0; t < responses[i].length; t++) {
          int base = flatRow(i, t) * v;
          if (vocabCoef != null) {
            if (vocabCoef[i][t].length != v) {
              throw new IllegalArgumentException(
                  "vocabCoef["
                      + i
                      + "]["
                      + t
                      + "] has "
                      + vocabCoef[i][t].length
                      + " entries, vocabulary has "
                      + v);
            }
            for (int k = 0; k < v; k++) {
              data[base + k] = vocabCoef[i][t][k];
            }
          }
          data[base + responses[i][t]] += targetCoef[i][t];
        }
      }
      return Nd4j.create(data, new long[] {(long) batch.rows * batch.slots, v}, DataType.DOUBLE)
          .castTo(graph.dtype);
    }
  }

  // ------------------------------------------------------------------ helpers

  static double[] toDoubles(INDArray a) {
    return contiguous(a).data().asDouble();
  }

  static float[] toFloats(INDArray a) {
    return contiguous(a).data().asFloat();
  }

  private static INDArray contiguous(INDArray a) {
    boolean plain =
        !a.isView() && a.ordering() == 'c' && a.data().length() == a.length() && a.offset() == 0;
    return plain ? a : a.dup('c');
  }

  /**
   * Computes the surrogate loss sum(coef * logp) from the {@code logp} activation during fit():
   * fit() in this release never evaluates the scalar loss node (its gradient does not need it).
   */
  private static final class LossListener extends BaseListener {
    INDArray coef;
    double loss = Double.NaN;

    @Override
    public boolean isActive(Operation operation) {
      return operation == Operation.TRAINING;
    }

    @Override
    public ListenerVariables requiredVariables(SameDiff sd) {
      return ListenerVariables.builder().trainingVariables("logp").build();
    }

    @Override
    public void activationAvailable(
        SameDiff sd,
        At at,
        org.nd4j.linalg.dataset.api.MultiDataSet batch,
        SameDiffOp op,
        String varName,
        INDArray activation) {
      if ("logp".equals(varName)) {
        loss = activation.mul(coef).sumNumber().doubleValue();
      }
    }
  }
}
