package org.tokenrl.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tokenrl.model.arch.Batch;
import org.tokenrl.model.arch.Gpt;
import org.tokenrl.model.arch.GptConfig;
import org.tokenrl.model.arch.Llama;
import org.tokenrl.model.arch.LlamaConfig;
import org.tokenrl.model.arch.ModelSpec;
import org.tokenrl.model.arch.Transformer;
import org.tokenrl.model.io.BaseModel;
import org.tokenrl.model.nn.Embedding;
import org.tokenrl.model.nn.LmHead;
import org.tokenrl.model.nn.LoraAdapter;
import org.tokenrl.model.nn.Ops;
import org.tokenrl.model.nn.Scratch;

// ~500 lines: scoring, the training forward/backward and sampling share one model, its pass
// budget and workspace; the optimizer, teacher forcing and weight I/O are already split out.
/**
 * The policy language model: a decoder-only {@link Transformer} ({@link Gpt} or {@link Llama},
 * chosen by the {@link ModelSpec}) that scores, trains and samples, with explicit forward and
 * backward passes over ND4J arrays. Sequences are {@code prompt ++ response}; every prompt must
 * hold at least one token (e.g. BOS), because response token t is predicted from everything before
 * it. A forward pass sees at most {@code maxSeqLen} tokens: {@code prompt.length + response.length
 * <= maxSeqLen + 1} (the last token is only a target).
 *
 * <p>No [N·T, V] array is ever built: tokens enter as ids, and the LM head, log-softmax, entropy
 * and loss gradient run in chunks of rows ({@link LmHead}).
 *
 * <p>It scores ({@link #score}, {@link #responseLogProbs}), updates ({@link #update}, whose step is
 * the {@link Optimizer}'s; the RL form runs its objective between one forward and one backward
 * pass) and generates ({@link #generate}); weight import/export and the LoRA merge are {@code
 * Weights}'s, reached through one-line methods here. Teacher-forced passes are laid out by a {@link
 * PassLayout}: by default a group's shared prompt is computed once and rows are packed
 * (docs/packed-update.md).
 *
 * <p>Instances are not shared between threads in the framework (each rollout worker holds its own
 * {@link #copy()}), but all public methods are synchronized so accidental sharing stays correct.
 */
public final class Policy implements AutoCloseable {
  private final ModelSpec spec;
  private final DataType dtype;
  private final Transformer model;
  private final Optimizer optimizer;
  private final Generator generator;
  private final Scratch scratch;
  private final LoraConfig lora;
  private final LoraAdapter.State loraState;
  private final LinkedHashMap<String, INDArray> trainable; // all parameters, or LoRA's adapters
  private boolean closed;
  private int passTokens = DEFAULT_PASS_TOKENS;
  private PassLayout layout;
  private String layoutNote;
  private BaseModel base; // the pretrained weights under LoRA adapters, when loaded from one

  /** Default of {@link #setPassTokens}. */
  private static final int DEFAULT_PASS_TOKENS = 4096;

  /** {@code seed} null: zero weights, for a copy whose weights are imported next. */
  private Policy(ModelSpec spec, OptimizerConfig opt, Long seed, DataType dtype, LoraConfig lora) {
    this(spec, opt, seed, seed != null, dtype, lora, null);
  }

  /**
   * @param seed draws the adapters, and the weights when {@code randomWeights}
   * @param randomWeights false: zero weights, imported next
   * @param shareBase under LoRA, the model whose frozen base this one reads (no copy), or null
   */
  private Policy(
      ModelSpec spec,
      OptimizerConfig opt,
      Long seed,
      boolean randomWeights,
      DataType dtype,
      LoraConfig lora,
      Params shareBase) {
    this.spec = spec;
    this.dtype = dtype;
    this.lora = lora;
    this.loraState = new LoraAdapter.State();
    Params params = new Params(dtype, randomWeights, lora.enabled() ? shareBase : null);
    this.model =
        spec instanceof LlamaConfig llama
            ? new Llama(llama, params, seed, lora, loraState)
            : new Gpt((GptConfig) spec, params, seed, lora, loraState);
    this.trainable = model.params().trainable();
    this.optimizer = new Optimizer(opt, trainable, model.params()::decays);
    this.scratch = new Scratch("tokenrl-policy-" + System.identityHashCode(this));
    this.generator = new Generator(model, scratch);
    setPassLayout(PassLayout.SHARED_PREFIX);
  }

  /** A model with weights drawn deterministically from {@code seed} (float32). */
  public static Policy create(ModelSpec spec, OptimizerConfig opt, long seed) {
    return new Policy(spec, opt, seed, DataType.FLOAT, LoraConfig.NONE);
  }

  /**
   * With LoRA adapters ({@code lora.rank > 0}): every weight drawn here (or imported later) is
   * frozen, only the adapters get gradients and AdamW moments. Adapter values depend on {@code
   * seed}.
   */
  public static Policy create(ModelSpec spec, OptimizerConfig opt, long seed, LoraConfig lora) {
    return new Policy(spec, opt, seed, DataType.FLOAT, lora);
  }

  /** A float32 model with zero weights, for callers that import every weight next. */
  public static Policy createForImport(ModelSpec spec, OptimizerConfig opt, LoraConfig lora) {
    return new Policy(spec, opt, null, DataType.FLOAT, lora);
  }

  /**
   * The same with LoRA adapters drawn from {@code seed} as {@link #create(ModelSpec,
   * OptimizerConfig, long, LoraConfig)} draws them: that model once its weights are imported,
   * without drawing 135M normals (and holding them) only to overwrite them.
   */
  public static Policy createForImport(
      ModelSpec spec, OptimizerConfig opt, LoraConfig lora, long seed) {
    return new Policy(spec, opt, seed, false, DataType.FLOAT, lora, null);
  }

  /** Same, in another floating-point type (DOUBLE for finite-difference gradient checks). */
  static Policy create(ModelSpec spec, OptimizerConfig opt, long seed, DataType dtype) {
    return new Policy(spec, opt, seed, dtype, LoraConfig.NONE);
  }

  static Policy create(
      ModelSpec spec, OptimizerConfig opt, long seed, DataType dtype, LoraConfig lora) {
    return new Policy(spec, opt, seed, dtype, lora);
  }

  public LoraConfig lora() {
    return lora;
  }

  /** The pretrained weights these LoRA adapters sit on, or null (not LoRA, or random weights). */
  public BaseModel baseModel() {
    return base;
  }

  public void setBaseModel(BaseModel base) {
    this.base = base;
  }

  /**
   * Padded tokens (rows × longest sequence) one forward/backward pass may hold. Larger batches are
   * scored and trained as several passes in order, their gradients added up before the one
   * optimizer step, so activation memory is bounded by this budget and not by the batch. A single
   * row longer than the budget is still one pass.
   */
  public synchronized void setPassTokens(int tokens) {
    if (tokens < 1) {
      throw new IllegalArgumentException("pass tokens must be >= 1, got " + tokens);
    }
    passTokens = tokens;
  }

  public synchronized int passTokens() {
    return passTokens;
  }

  /**
   * How scoring and update passes lay rows out (default {@link PassLayout#SHARED_PREFIX}). All
   * layouts give the same log-probs and gradients, except under LoRA dropout, where the masks are
   * drawn per padded row: there every request stays {@link PassLayout#PADDED} (see {@link
   * #passLayoutNote}).
   */
  public synchronized void setPassLayout(PassLayout requested) {
    if (requested != PassLayout.PADDED && lora.enabled() && lora.dropout() > 0) {
      layout = PassLayout.PADDED;
      layoutNote =
          "padded rows, no shared prompts: LoRA dropout "
              + lora.dropout()
              + " > 0 draws a different mask for each sample's copy of its prompt";
      return;
    }
    layout = requested;
    layoutNote =
        switch (requested) {
          case SHARED_PREFIX -> "shared prompts, packed rows (each prompt computed once a pass)";
          case PACKED -> "packed rows, every sample computes its own prompt";
          case PADDED -> "padded rows, every sample computes its own prompt";
        };
  }

  public synchronized PassLayout passLayout() {
    return layout;
  }

  /** One line for a run log: the layout in use and, when it is not the one asked for, why. */
  public synchronized String passLayoutNote() {
    return layoutNote;
  }

  /** The passes of a batch in order, laid out by {@link #passLayout}. */
  List<TeacherForced> plan(int[][] prompts, int[][] responses) {
    return TeacherForced.plan(prompts, responses, passTokens, spec.maxSeqLen(), layout);
  }

  /** Consecutive row ranges [from, to), each within the pass budget (or a single row). */
  List<int[]> passes(int[][] prompts, int[][] responses) {
    return plan(prompts, responses).stream().map(tf -> new int[] {tf.from(), tf.to()}).toList();
  }

  /** Token slots the passes of a batch compute (rows × longest row, summed over passes). */
  public synchronized long passSlots(int[][] prompts, int[][] responses) {
    long slots = 0;
    for (TeacherForced tf : plan(prompts, responses)) {
      slots += tf.batch() == null ? 0 : (long) tf.batch().rows * tf.batch().slots;
    }
    return slots;
  }

  /**
   * The KL reference without a second copy of the base: a view of this policy that scores with the
   * adapters switched off ({@code keepCurrentAdapters = false}, the base model) or with a frozen
   * copy of the adapters as they are now (after an SFT warm-up). It can only score; closing it
   * frees nothing. Needs LoRA.
   */
  public synchronized ReferenceScorer referenceView(boolean keepCurrentAdapters) {
    checkOpen();
    if (!lora.enabled()) {
      throw new IllegalStateException("a reference view needs LoRA adapters (model.lora.rank > 0)");
    }
    return new AdapterReference(this, keepCurrentAdapters ? adapterWeights() : null);
  }

  /**
   * The adapters as float copies: {@code <module>.lora_A.weight} [r, in] and {@code
   * <module>.lora_B.weight} [out, r] in model order (empty without LoRA).
   */
  public synchronized LinkedHashMap<String, float[]> adapterWeights() {
    return Weights.floats(Weights.adapters(model));
  }

  /**
   * What a sampler copy of this policy needs at each weight sync: the adapters alone under LoRA
   * (the base is frozen, so a copy made once keeps it), every weight otherwise.
   */
  public synchronized LinkedHashMap<String, float[]> weightsToSync() {
    return lora.enabled() ? adapterWeights() : exportWeights();
  }

  /**
   * The weights with every adapter merged in, W + (alpha/r)·B·A, under the base names and shapes
   * (what an HF export writes); the same as {@link #exportWeights} without LoRA.
   */
  public synchronized LinkedHashMap<String, float[]> mergedWeights() {
    checkOpen();
    return Weights.merged(model);
  }

  public ModelSpec config() {
    return spec;
  }

  /** Clipping and AdamW: learning rate, applied steps and moments. */
  public Optimizer optimizer() {
    return optimizer;
  }

  // ------------------------------------------------------------------ teacher forcing

  /** Final hidden states of the scored rows, [S, d]. */
  private INDArray scoredHidden(TeacherForced tf, boolean train) {
    INDArray hidden = model.forward(tf.batch(), train); // [R, d]
    return Nd4j.pullRows(hidden, 1, tf.rows());
  }

  // ------------------------------------------------------------------ scoring

  /**
   * Per response-token log-prob and entropy of the temperature-scaled distribution
   * (logits/temperature), teacher-forced on prompt++response.
   */
  public synchronized TokenScores score(int[][] prompts, int[][] responses, double temperature) {
    checkOpen();
    TeacherForced.validate(spec, prompts, responses, temperature);
    double[][] logprobs = new double[prompts.length][];
    double[][] entropies = new double[prompts.length][];
    for (TeacherForced tf : plan(prompts, responses)) {
      spread(tf, responses, scorePass(tf, temperature, null), logprobs, entropies);
    }
    return new TokenScores(logprobs, entropies);
  }

  /** A pass's per-token log-probs and entropies into rows [from, to) of the per-row arrays. */
  private static void spread(
      TeacherForced tf,
      int[][] responses,
      LmHead.Result r,
      double[][] logprobs,
      double[][] entropies) {
    double[] lp = r == null ? new double[0] : r.logp();
    double[] ent = r == null ? new double[0] : r.entropy();
    int k = 0;
    for (int i = tf.from(); i < tf.to(); i++) {
      logprobs[i] = java.util.Arrays.copyOfRange(lp, k, k + responses[i].length);
      entropies[i] = java.util.Arrays.copyOfRange(ent, k, k + responses[i].length);
      k += responses[i].length;
    }
  }

  /**
   * Streams the full log-softmax row of logits/temperature at every response position to {@code
   * visitor}, in order (row by row, position by position). Memory stays O(chunk · V).
   */
  public synchronized void responseLogProbs(
      int[][] prompts, int[][] responses, double temperature, LogProbRows visitor) {
    checkOpen();
    TeacherForced.validate(spec, prompts, responses, temperature);
    for (TeacherForced tf : plan(prompts, responses)) {
      if (tf.rows().length == 0) {
        continue;
      }
      int[] rowOf = new int[tf.rows().length];
      int[] posOf = new int[tf.rows().length];
      int k = 0;
      for (int i = tf.from(); i < tf.to(); i++) {
        for (int t = 0; t < responses[i].length; t++) {
          rowOf[k] = i;
          posOf[k++] = t;
        }
      }
      scorePass(tf, temperature, (row, s) -> visitor.accept(rowOf[s], posOf[s], row));
    }
  }

  /**
   * The LM head over one pass's scored rows, without gradients; {@code rows} (may be null) receives
   * each row's log-softmax. Null when the pass scores no token.
   */
  private LmHead.Result scorePass(
      TeacherForced tf, double temperature, java.util.function.ObjIntConsumer<float[]> rows) {
    if (tf.rows().length == 0) {
      return null;
    }
    try (var ws = scratch.open()) {
      return LmHead.run(
          scoredHidden(tf, false),
          model.headWeight(),
          null,
          tf.targets(),
          temperature,
          null,
          null,
          null,
          rows);
    }
  }

  // ------------------------------------------------------------------ training

  /**
   * One AdamW step on the surrogate loss
   *
   * <pre>
   *   L = sum_{i,t} targetCoef[i][t] * logp(y_{i,t})
   *     + sum_{i,t} sum_j vocabCoef[i][t].values[j] * logp(vocabCoef[i][t].ids[j] | prefix)
   * </pre>
   *
   * where logp is the log-softmax of logits/temperature at response position t of row i. Passing
   * targetCoef = dLoss/dlogp from a previous {@link #score} call makes the parameter gradient that
   * of the caller's real loss (chain rule); e.g. SFT uses coef = -1/numTokens. {@code vocabCoef}
   * (sparse per position, entries may be null) may be null. Gradients are clipped to {@code
   * gradClipNorm} (global L2 norm). If a coefficient, the loss or any gradient is NaN/Inf the step
   * is skipped: weights and optimizer state stay bit-identical and the stats say why.
   */
  public synchronized UpdateStats update(
      int[][] prompts,
      int[][] responses,
      double[][] targetCoef,
      VocabCoef[][] vocabCoef,
      double temperature) {
    return update(prompts, responses, targetCoef, vocabCoef, null, temperature);
  }

  /**
   * {@link #update} with an entropy term: the surrogate gains
   *
   * <pre>
   *   + sum_{i,t} entropyCoef[i][t] * H_{i,t}
   *   H = −Σ_v p_v log p_v of softmax(logits/temperature)
   * </pre>
   *
   * whose logits gradient is the exact dH/dz_v = −p_v (log p_v + H), divided by the temperature
   * (docs/entropy-bonus.md). Passing entropyCoef = dLoss/dH (e.g. the RL loss's {@code
   * gradEntropy}) with entropies from a previous {@link #score} call makes the parameter gradient
   * that of the loss's entropy bonus. {@code entropyCoef} null is exactly the 5-argument update.
   */
  public synchronized UpdateStats update(
      int[][] prompts,
      int[][] responses,
      double[][] targetCoef,
      VocabCoef[][] vocabCoef,
      double[][] entropyCoef,
      double temperature) {
    Surrogate s = surrogate(prompts, responses, targetCoef, vocabCoef, entropyCoef, temperature);
    if (s.skipReason != null) {
      return new UpdateStats(s.loss, s.gradNorm, true, s.skipReason);
    }
    optimizer.apply(s.gradients, s.gradNorm);
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
      VocabCoef[][] vocabCoef,
      double temperature) {
    return surrogate(prompts, responses, targetCoef, vocabCoef, null, temperature);
  }

  /** {@link #surrogate} with the entropy term of {@link #update}'s 6-argument form. */
  synchronized Surrogate surrogate(
      int[][] prompts,
      int[][] responses,
      double[][] targetCoef,
      VocabCoef[][] vocabCoef,
      double[][] entropyCoef,
      double temperature) {
    checkOpen();
    TeacherForced.validate(spec, prompts, responses, temperature);
    String bad = TeacherForced.checkCoefficients(spec, responses, targetCoef, vocabCoef);
    if (bad == null) {
      bad = TeacherForced.checkEntropyCoefficients(responses, entropyCoef);
    }
    if (bad != null) {
      return new Surrogate(Double.NaN, Double.NaN, Map.of(), bad);
    }
    if (java.util.Arrays.stream(responses).allMatch(r -> r.length == 0)) {
      return new Surrogate(0, 0, Map.of(), "no response tokens to train on");
    }
    Params params = model.params();
    params.zeroGrads();
    double loss = 0;
    loraState.dropoutStep = optimizer.step() + 1; // adapter dropout masks: a function of the step
    List<TeacherForced> passes = plan(prompts, responses);
    for (int pass = 0; pass < passes.size(); pass++) {
      loraState.pass = pass;
      loss +=
          accumulateGradients(
              responses, targetCoef, vocabCoef, entropyCoef, temperature, passes.get(pass));
    }
    return finish(loss);
  }

  /** The accumulated gradients' norm, and why they cannot be applied (null when they can). */
  private Surrogate finish(double loss) {
    Params params = model.params();
    double norm = Optimizer.globalNorm(params.grads.values());
    String reason = null;
    if (!Double.isFinite(loss)) {
      reason = "non-finite loss " + loss;
    } else if (!Double.isFinite(norm)) {
      reason = "non-finite gradient (global norm " + norm + ")";
    }
    return new Surrogate(loss, norm, params.grads, reason);
  }

  /**
   * Forward and backward of the rows of one pass; adds to the gradients, returns its loss share.
   */
  private double accumulateGradients(
      int[][] responses,
      double[][] targetCoef,
      VocabCoef[][] vocabCoef,
      double[][] entropyCoef,
      double temperature,
      TeacherForced tf) {
    if (tf.rows().length == 0) {
      return 0;
    }
    double[] coef = new double[tf.rows().length];
    VocabCoef[] vocab = vocabCoef == null ? null : new VocabCoef[tf.rows().length];
    double[] entropy = entropyCoef == null ? null : new double[tf.rows().length];
    int k = 0;
    for (int i = tf.from(); i < tf.to(); i++) {
      for (int t = 0; t < responses[i].length; t++) {
        coef[k] = targetCoef[i][t];
        if (vocab != null) {
          vocab[k] = vocabCoef[i][t];
        }
        if (entropy != null) {
          entropy[k] = entropyCoef[i][t];
        }
        k++;
      }
    }
    try (var ws = scratch.open()) {
      INDArray hidden = model.forward(tf.batch(), true);
      return backward(hidden, tf, coef, vocab, entropy, temperature, null);
    }
  }

  /**
   * The LM head's gradient with the pass's flat coefficients and the backward pass from it, after
   * the training forward pass that returned {@code hidden} [R, d]; returns the pass's loss share.
   * {@code logits}, if given, holds the head's logits of these rows from a scoring call.
   */
  private double backward(
      INDArray hidden,
      TeacherForced tf,
      double[] coef,
      VocabCoef[] vocab,
      double[] entropy,
      double temperature,
      LmHead.Logits logits) {
    LmHead.Result head =
        LmHead.run(
            Nd4j.pullRows(hidden, 1, tf.rows()),
            model.headWeight(),
            model.headGrad(),
            tf.targets(),
            temperature,
            coef,
            vocab,
            entropy,
            null,
            logits);
    INDArray dHidden = Nd4j.zeros(dtype, hidden.shape()); // [R, d]: zero where nothing is scored
    // adds: a shared prompt's last slot is scored once per response, its gradients sum
    Embedding.scatterAddRows(dHidden, tf.rows(), head.dHidden());
    model.backward(dHidden);
    return head.loss();
  }

  /** Row i's entries of per-row arrays for rows [from, to) of a pass, flattened in (i, t) order. */
  private static double[] flat(TeacherForced tf, int[][] responses, double[][] perRow) {
    if (perRow == null) {
      return null;
    }
    double[] out = new double[tf.rows().length];
    int k = 0;
    for (int i = tf.from(); i < tf.to(); i++) {
      for (int t = 0; t < responses[i].length; t++) {
        out[k++] = perRow[i][t];
      }
    }
    return out;
  }

  /**
   * One AdamW step on a loss of the current log-probs, with one forward pass: the passes are
   * scored, {@code objective} turns the log-probs and entropies of every response token into
   * dLoss/dlogp and dLoss/dH, and the backward pass runs with them, so the step is {@link
   * #update(int[][], int[][], double[][], VocabCoef[][], double[][], double)} with the coefficients
   * the objective returns from {@link #score}'s values. The last (or only) pass is scored by its
   * training forward pass and backpropagated without a second one; earlier passes of a batch larger
   * than the budget are scored first and then recomputed for their backward. Under LoRA dropout the
   * objective sees {@link #score}'s values (no dropout) and the update draws its masks as {@link
   * #update} does. The same skip rules apply.
   */
  public synchronized UpdateStats update(
      int[][] prompts, int[][] responses, double temperature, UpdateObjective objective) {
    checkOpen();
    TeacherForced.validate(spec, prompts, responses, temperature);
    if (lora.enabled() && lora.dropout() > 0) { // scored without dropout, trained with it
      UpdateObjective.Coefficients c =
          objective.coefficients(score(prompts, responses, temperature));
      return update(prompts, responses, c.gradLogp(), null, c.gradEntropy(), temperature);
    }
    List<TeacherForced> passes = plan(prompts, responses);
    double[][] logprobs = new double[prompts.length][];
    double[][] entropies = new double[prompts.length][];
    for (int p = 0; p < passes.size() - 1; p++) {
      spread(
          passes.get(p),
          responses,
          scorePass(passes.get(p), temperature, null),
          logprobs,
          entropies);
    }
    TeacherForced last = passes.get(passes.size() - 1);
    Params params = model.params();
    loraState.dropoutStep = optimizer.step() + 1;
    double loss = 0;
    UpdateObjective.Coefficients c;
    // the scoring call's logits, kept for the gradient call when they are small enough
    try (var ws = scratch.open();
        LmHead.Logits logits = LmHead.Logits.upTo(last.rows().length, spec.vocabSize())) {
      INDArray hidden = last.batch() == null ? null : model.forward(last.batch(), true);
      LmHead.Result r =
          hidden == null
              ? null
              : LmHead.run(
                  Nd4j.pullRows(hidden, 1, last.rows()),
                  model.headWeight(),
                  null,
                  last.targets(),
                  temperature,
                  null,
                  null,
                  null,
                  null,
                  logits);
      spread(last, responses, r, logprobs, entropies);
      try (var outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        c = objective.coefficients(new TokenScores(logprobs, entropies));
      }
      String bad = TeacherForced.checkCoefficients(spec, responses, c.gradLogp(), null);
      if (bad == null) {
        bad = TeacherForced.checkEntropyCoefficients(responses, c.gradEntropy());
      }
      if (bad != null) {
        return new UpdateStats(Double.NaN, Double.NaN, true, bad);
      }
      if (java.util.Arrays.stream(responses).allMatch(x -> x.length == 0)) {
        return new UpdateStats(0, 0, true, "no response tokens to train on");
      }
      params.zeroGrads();
      if (hidden != null) {
        loraState.pass = passes.size() - 1;
        loss +=
            backward(
                hidden,
                last,
                flat(last, responses, c.gradLogp()),
                null,
                flat(last, responses, c.gradEntropy()),
                temperature,
                logits);
      }
    }
    for (int p = 0; p < passes.size() - 1; p++) {
      loraState.pass = p;
      loss +=
          accumulateGradients(
              responses, c.gradLogp(), null, c.gradEntropy(), temperature, passes.get(p));
    }
    Surrogate s = finish(loss);
    if (s.skipReason != null) {
      return new UpdateStats(s.loss, s.gradNorm, true, s.skipReason);
    }
    optimizer.apply(s.gradients, s.gradNorm);
    return new UpdateStats(s.loss, s.gradNorm, false, "");
  }

  /** Raw logits [T][V] of every position of one sequence (tests compare against references). */
  public synchronized double[][] logits(int[] sequence) {
    checkOpen();
    Batch batch = Batch.rightPadded(new int[][] {sequence}, spec.maxSeqLen());
    INDArray hidden = model.forward(batch, false); // [T, d]
    INDArray z = Ops.mm(hidden, false, model.headWeight(), true); // [T, V]
    double[][] out = z.toDoubleMatrix();
    Ops.free(hidden, z);
    return out;
  }

  /** The live parameter array (tests perturb it for finite differences). */
  public INDArray parameter(String name) {
    return model.params().get(name);
  }

  Transformer model() {
    return model;
  }

  /** Whether the LoRA adapters take part in passes (a reference view switches them off). */
  LoraAdapter.State loraState() {
    return loraState;
  }

  /** The learning rate of the next {@link #update}; same as {@code optimizer().setLearningRate}. */
  public void setLearningRate(double lr) {
    optimizer.setLearningRate(lr);
  }

  // ------------------------------------------------------------------ sampling

  /**
   * Samples up to {@code maxNewTokens} per prompt with the KV cache: the distinct prompts are
   * left-padded and prefilled in one forward pass (rows with the same prompt, e.g. a group's G
   * samples, share its keys and values), then one decode step per new token for all rows. Row i
   * draws from its own RNG seeded by {@code rowSeeds[i]}.
   */
  public synchronized Generation generate(int[][] prompts, SamplingParams params, long[] rowSeeds) {
    return decodeLoop(prompts, params, rowSeeds, true, null);
  }

  /**
   * Whether rows with identical prompts share one prefill and one prompt block of the KV cache (on
   * by default; the results are bit-identical either way, tests compare them).
   */
  synchronized void sharePrompts(boolean on) {
    generator.sharePrompts(on);
  }

  /** Rows' draws run in this many parallel slices (default: the BLAS threads; same draws). */
  synchronized void samplingThreads(int n) {
    generator.samplingThreads(n);
  }

  /**
   * The generation loop, with the KV cache or ({@code useCache} false, the reference) re-running
   * the full forward pass each step; {@code logitsSink}, if given, receives each step's raw logits
   * [B][V] (tests compare cached and uncached decoding with it; with the cache, rows that have
   * finished are null: they are no longer computed).
   */
  public synchronized Generation decodeLoop(
      int[][] prompts,
      SamplingParams params,
      long[] rowSeeds,
      boolean useCache,
      List<double[][]> logitsSink) {
    checkOpen();
    return generator.run(prompts, params, rowSeeds, useCache, logitsSink);
  }

  // ------------------------------------------------------------------ weights

  /**
   * Parameter values as float copies, in a stable order with stable names: HF's tensor names and
   * shapes for llama (row-major, nn.Linear weights [out, in]), the historic names for gpt.
   */
  public synchronized LinkedHashMap<String, float[]> exportWeights() {
    checkOpen();
    return Weights.floats(model.params().values);
  }

  /**
   * Loads every parameter (names and sizes must match {@link #parameterShapes()}); with LoRA the
   * base weights alone may be given (the adapters keep their values).
   */
  public synchronized void importWeights(Map<String, float[]> weights) {
    checkOpen();
    Weights.load(model, lora.enabled(), weights);
  }

  public synchronized Map<String, long[]> parameterShapes() {
    return model.params().shapes();
  }

  /**
   * Independent instance with the same weights and optimizer settings; fresh optimizer state. Under
   * LoRA the copy reads this policy's frozen base weights, not a copy of them (a sampler and its
   * trainer hold one base: 540 MB less for SmolLM2-135M), and has its own adapters; importing base
   * weights into either then changes both, which is why samplers sync the adapters alone.
   */
  public synchronized Policy copy() {
    checkOpen();
    Policy p;
    if (lora.enabled()) {
      p = new Policy(spec, optimizer.config(), null, false, dtype, lora, model.params());
      p.importWeights(adapterWeights());
    } else {
      p = new Policy(spec, optimizer.config(), null, dtype, lora);
      p.importWeights(exportWeights());
    }
    p.base = base;
    p.setPassLayout(layout);
    p.setLearningRate(optimizer.learningRate());
    return p;
  }

  /** Releases the native memory of weights, gradients and optimizer state. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    model.params().close();
    optimizer.close();
    scratch.release();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("this Policy is closed");
    }
  }
}
