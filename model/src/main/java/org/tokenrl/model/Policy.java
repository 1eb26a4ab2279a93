package org.tokenrl.model;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
  private final Generator generator;
  private final LossListener lossListener = new LossListener();
  private boolean trainingReady;
  private boolean closed;

  private Policy(ModelConfig cfg, OptimizerConfig opt, long seed, DataType dtype) {
    this.cfg = cfg;
    this.graph = new TransformerGraph(cfg, dtype, seed);
    this.adam = new AdamW(opt, graph.params);
    this.generator = new Generator(graph);
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
    checkOpen();
    TeacherForced tf = TeacherForced.of(graph, prompts, responses, temperature);
    double[][] logprobs = new double[prompts.length][];
    double[][] entropies = new double[prompts.length][];
    double[] lp = new double[0];
    double[] ent = new double[0];
    if (tf.batch.slots > 0) {
      Map<String, INDArray> ph = tf.placeholders();
      ph.put("targets", tf.targetOneHot());
      Map<String, INDArray> out = graph.full.output(ph, "tokLogp", "entropy");
      lp = Tensors.toDoubles(out.get("tokLogp")); // [NT]
      ent = Tensors.toDoubles(out.get("entropy")); // [NT]
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
    checkOpen();
    TeacherForced tf = TeacherForced.of(graph, prompts, responses, temperature);
    int v = cfg.vocabSize();
    float[] logp = new float[0];
    if (tf.batch.slots > 0) {
      logp = Tensors.toFloats(graph.full.output(tf.placeholders(), "logp").get("logp")); // [NT, V]
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
    checkOpen();
    TeacherForced tf = TeacherForced.of(graph, prompts, responses, temperature);
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
   * The generation loop; {@code logitsSink}, if given, receives each step's raw logits [B][V]
   * (tests compare cached and uncached decoding with it).
   */
  synchronized Generation decodeLoop(
      int[][] prompts,
      SamplingParams params,
      long[] rowSeeds,
      boolean useCache,
      List<double[][]> logitsSink) {
    checkOpen();
    return generator.run(prompts, params, rowSeeds, useCache, logitsSink);
  }

  // ------------------------------------------------------------------ weights

  /** Parameter values as float copies, in a stable order with stable names. */
  public synchronized LinkedHashMap<String, float[]> exportWeights() {
    checkOpen();
    LinkedHashMap<String, float[]> out = new LinkedHashMap<>();
    graph.params.forEach((name, arr) -> out.put(name, Tensors.toFloats(arr)));
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
    adam.m.forEach((name, arr) -> out.put("m." + name, Tensors.toFloats(arr)));
    adam.v.forEach((name, arr) -> out.put("v." + name, Tensors.toFloats(arr)));
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
      dst.assign(Tensors.array(values.get(e.getKey()), dst.dataType(), dst.shape()));
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
