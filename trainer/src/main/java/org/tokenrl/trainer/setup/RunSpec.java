package org.tokenrl.trainer.setup;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tokenrl.algorithms.AlgorithmKind;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.algorithms.rl.DynamicSampling;
import org.tokenrl.core.ConfigException;
import org.tokenrl.core.Tokenizer;
import org.tokenrl.model.LoraConfig;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.PassLayout;
import org.tokenrl.model.arch.GptConfig;
import org.tokenrl.model.arch.LlamaConfig;
import org.tokenrl.model.arch.ModelSpec;
import org.tokenrl.rollout.Task;
import org.tokenrl.runlog.Hyperparameters;

/**
 * A resolved run config read once, one record per block of configs/base.conf. {@link #from} is the
 * parse and the validation in one: it first checks every value range ({@link ConfigRanges}, errors
 * naming the key and where it was set), then reads each block. The algorithm, task and reward
 * blocks are not read here: their registries build them from their own sub-config ({@link
 * StartChecks#run}).
 *
 * <p>One file over ~400 lines on purpose: every block is read here, so a key of base.conf has one
 * place in the code, next to the HPARAMS columns that show it.
 */
public record RunSpec(
    Run run,
    Model model,
    Optimizer optimizer,
    Sft sft,
    Main trainer,
    Evaluation eval,
    Checkpointing checkpoint,
    Rollout rollout,
    Chat chat,
    Preference preference,
    Samples samples,
    Distributed distributed,
    String algorithmName) {

  /** Checks and reads every block of {@code c} (a resolved config, base.conf's keys all set). */
  public static RunSpec from(Config c) {
    ConfigRanges.check(c);
    return new RunSpec(
        Run.from(c),
        Model.from(c),
        Optimizer.from(c),
        Sft.from(c),
        Main.from(c),
        Evaluation.from(c),
        Checkpointing.from(c),
        Rollout.from(c),
        Chat.from(c),
        Preference.from(c),
        Samples.from(c),
        Distributed.from(c),
        c.getString("algorithm.name"));
  }

  /**
   * The main algorithm's kind.
   *
   * @throws IllegalArgumentException for an unknown {@code algorithm.name}, listing the valid ones
   */
  public AlgorithmKind kind() {
    return Algorithms.kind(algorithmName);
  }

  /** Global steps of the whole run: the SFT warm-up's, then the main phase's. */
  public long totalSteps() {
    return (long) sft.steps() + trainer.steps();
  }

  /**
   * Whether the main phase writes a checkpoint after its step {@code phaseStep} (counting from 1):
   * global step {@code sft.steps + phaseStep}, by {@link Checkpointing#at}.
   */
  public boolean checkpointAfterMainStep(long phaseStep) {
    return checkpoint.at(phaseStep + sft.steps(), totalSteps());
  }

  /**
   * The columns of TensorBoard's HPARAMS tab, in order: what tells one run's algorithm from
   * another's. Every run writes all of them (TensorBoard takes the columns from the first run it
   * reads); a run lacking a key (e.g. {@code algorithm.td_weight} on a GRPO run) leaves it blank.
   * The LoRA rank joins, under whichever name the model config gives it, when the run has one.
   */
  public static final List<Hyperparameters.Column> HPARAMS =
      List.of(
          text("algorithm.name"),
          text("algorithm.base"), // d3s on grpo or tempo
          text("task.name"),
          text("model.name"),
          number("run.seed"),
          number("sft.steps"),
          number("sft.learning_rate"),
          number("trainer.steps"),
          number("trainer.learning_rate"),
          text("trainer.lr_schedule"),
          number("trainer.prompts_per_step"),
          number("trainer.group_size"),
          text("trainer.dynamic_sampling"),
          number("rollout.temperature"),
          number("algorithm.kl_beta"),
          number("algorithm.clip_eps_low"),
          number("algorithm.clip_eps_high"),
          text("algorithm.scale_rewards"), // grpo
          text("algorithm.loss_agg"),
          number("algorithm.updates_per_batch"),
          number("algorithm.td_weight"), // tempo
          number("algorithm.n_init"), // d3s schedule
          number("algorithm.n_final"),
          number("algorithm.k_init"),
          number("algorithm.k_final"),
          number("algorithm.beta"), // dpo, treg, cdpo, otr
          number("algorithm.alpha"), // treg
          number("algorithm.k"), // otr
          number("model.d_model"),
          number("model.layers"));

  private static final List<Hyperparameters.Column> LORA_HPARAMS =
      List.of(number("model.lora.rank"), number("model.lora_rank"));

  /**
   * The run's row of the HPARAMS tab: {@link #HPARAMS}' columns and the values {@code resolved} has
   * (numbers as doubles, booleans as such, anything else as its text).
   */
  public static Hyperparameters hyperparameters(Config resolved) {
    List<Hyperparameters.Column> columns = new ArrayList<>(HPARAMS);
    for (Hyperparameters.Column lora : LORA_HPARAMS) {
      if (resolved.hasPath(lora.key())) {
        columns.add(lora);
      }
    }
    Map<String, Object> values = new LinkedHashMap<>();
    for (Hyperparameters.Column column : columns) {
      if (!resolved.hasPath(column.key())) {
        continue;
      }
      ConfigValue v = resolved.getValue(column.key());
      Object value = v.unwrapped();
      if (v.valueType() == ConfigValueType.NUMBER) {
        value = ((Number) value).doubleValue();
      } else if (v.valueType() != ConfigValueType.BOOLEAN) {
        value = String.valueOf(value);
      }
      values.put(column.key(), value);
    }
    return new Hyperparameters(columns, values);
  }

  private static Hyperparameters.Column text(String key) {
    return new Hyperparameters.Column(key, Hyperparameters.Type.STRING);
  }

  private static Hyperparameters.Column number(String key) {
    return new Hyperparameters.Column(key, Hyperparameters.Type.NUMBER);
  }

  /** run.*: the run's name, seed and starting weights. */
  public record Run(String name, long seed, String initFrom) {
    static Run from(Config c) {
      return new Run(c.getString("run.name"), c.getLong("run.seed"), c.getString("run.init_from"));
    }

    /** Whether {@code run.init_from} names weights to start from. */
    public boolean initialised() {
      return !initFrom.isBlank();
    }
  }

  /**
   * model.*: a pretrained model ({@code path}) or an architecture and its shape; {@code gpt} or
   * {@code llama} holds the shape of the chosen architecture (null for the other; a {@code path}
   * model brings its own). {@code contextKey} is the key holding the longest sequence a pass may
   * see, {@code context} its value.
   */
  public record Model(
      String path,
      String arch,
      GptShape gpt,
      LlamaShape llama,
      LoraConfig lora,
      String contextKey,
      int context) {

    /** The model block; a shape's values are checked when {@link #spec} builds it. */
    public static Model from(Config c) {
      String path = c.getString("model.path");
      String arch = c.getString("model.arch");
      Config m = c.getConfig("model");
      GptShape gpt = arch.equals("gpt") ? GptShape.from(m) : null;
      LlamaShape llama = arch.equals("llama") ? LlamaShape.from(m) : null;
      String contextKey = StartChecks.contextKey(c);
      return new Model(
          path,
          arch,
          gpt,
          llama,
          lora(c.getConfig("model.lora")),
          contextKey,
          c.getInt(contextKey));
    }

    /** Whether the run starts from a pretrained model ({@code model.path}). */
    public boolean pretrained() {
      return !path.isBlank();
    }

    /**
     * The block as a {@link ModelSpec}: {@code model.arch} picks the architecture; gpt's vocabulary
     * is the tokenizer's, llama's {@code vocab_size} must cover it. Bad values are one line naming
     * the HOCON key.
     */
    public ModelSpec spec(Tokenizer tokenizer) {
      if (gpt != null) {
        return new GptConfig(
            tokenizer.vocabSize(), gpt.dModel, gpt.layers, gpt.heads, gpt.dFf, gpt.maxSeqLen);
      }
      if (llama != null) {
        return llama.config(tokenizer);
      }
      throw new IllegalArgumentException("model.arch must be gpt or llama, got '" + arch + "'");
    }

    /** model.lora: rank 0 = full fine-tuning. */
    private static LoraConfig lora(Config l) {
      int rank = l.getInt("rank");
      if (rank < 0) {
        throw new ConfigException("config error: 'model.lora.rank' must be >= 0, got " + rank);
      }
      double dropout = l.getDouble("dropout");
      if (!(dropout >= 0 && dropout < 1)) {
        throw new ConfigException(
            "config error: 'model.lora.dropout' must be in [0, 1), got " + dropout);
      }
      List<String> targets = l.getStringList("targets");
      if (rank > 0 && targets.isEmpty()) {
        throw new ConfigException("config error: 'model.lora.targets' is empty");
      }
      return rank == 0
          ? LoraConfig.NONE
          : new LoraConfig(rank, l.getDouble("alpha"), dropout, targets);
    }
  }

  /** model.* of {@code arch = gpt}; the vocabulary is the tokenizer's. */
  public record GptShape(int dModel, int layers, int heads, int dFf, int maxSeqLen) {
    static GptShape from(Config m) {
      return new GptShape(
          m.getInt("d_model"),
          m.getInt("layers"),
          m.getInt("heads"),
          m.getInt("d_ff"),
          m.getInt("max_seq_len"));
    }
  }

  /** model.* of {@code arch = llama}, HF config.json names; {@code headDim} 0 = derived. */
  public record LlamaShape(
      int vocabSize,
      int hiddenSize,
      int intermediateSize,
      int numHiddenLayers,
      int numAttentionHeads,
      int numKeyValueHeads,
      int headDim,
      double rmsNormEps,
      double ropeTheta,
      boolean tieWordEmbeddings,
      int maxPositionEmbeddings,
      boolean attentionBias) {

    static LlamaShape from(Config m) {
      return new LlamaShape(
          m.getInt("vocab_size"),
          m.getInt("hidden_size"),
          m.getInt("intermediate_size"),
          m.getInt("num_hidden_layers"),
          m.getInt("num_attention_heads"),
          m.getInt("num_key_value_heads"),
          m.getInt("head_dim"),
          m.getDouble("rms_norm_eps"),
          m.getDouble("rope_theta"),
          m.getBoolean("tie_word_embeddings"),
          m.getInt("max_position_embeddings"),
          m.getBoolean("attention_bias"));
    }

    LlamaConfig config(Tokenizer tokenizer) {
      if (vocabSize < tokenizer.vocabSize()) {
        throw new IllegalArgumentException(
            "model.vocab_size ("
                + vocabSize
                + ") is smaller than the tokenizer's vocabulary ("
                + tokenizer.vocabSize()
                + ")");
      }
      if (numAttentionHeads < 1) {
        throw new IllegalArgumentException(
            "model.num_attention_heads must be >= 1, got " + numAttentionHeads);
      }
      int dim = headDim;
      if (dim == 0) {
        if (hiddenSize % numAttentionHeads != 0) {
          throw new IllegalArgumentException(
              "model.hidden_size ("
                  + hiddenSize
                  + ") must be divisible by model.num_attention_heads ("
                  + numAttentionHeads
                  + ") unless model.head_dim is set (> 0)");
        }
        dim = hiddenSize / numAttentionHeads;
      }
      return new LlamaConfig(
          vocabSize,
          hiddenSize,
          intermediateSize,
          numHiddenLayers,
          numAttentionHeads,
          numKeyValueHeads,
          dim,
          rmsNormEps,
          ropeTheta,
          tieWordEmbeddings,
          maxPositionEmbeddings,
          attentionBias);
    }
  }

  /** optimizer.*: AdamW's settings; the learning rate comes from the phase's schedule. */
  public record Optimizer(
      double beta1, double beta2, double eps, double weightDecay, double gradClip) {
    static Optimizer from(Config c) {
      Config o = c.getConfig("optimizer");
      return new Optimizer(
          o.getDouble("beta1"),
          o.getDouble("beta2"),
          o.getDouble("eps"),
          o.getDouble("weight_decay"),
          o.getDouble("grad_clip"));
    }

    public OptimizerConfig config(double learningRate) {
      return new OptimizerConfig(learningRate, beta1, beta2, eps, weightDecay, gradClip);
    }
  }

  /** sft.*: the optional warm-up (0 steps skips it). */
  public record Sft(int steps, int batchSize, double learningRate, int warmupSteps) {
    static Sft from(Config c) {
      return new Sft(
          c.getInt("sft.steps"),
          c.getInt("sft.batch_size"),
          c.getDouble("sft.learning_rate"),
          c.getInt("sft.warmup_steps"));
    }
  }

  /** trainer.*: the main phase's length, batch, learning-rate schedule and sampling rounds. */
  public record Main(
      int steps,
      int promptsPerStep,
      int groupSize,
      double learningRate,
      String lrSchedule,
      int warmupSteps,
      int microBatchTokens,
      PassLayout passLayout,
      DynamicSampling.Mode dynamicSampling,
      int maxSamplingRounds,
      int logEvery,
      String runDir) {
    static Main from(Config c) {
      return new Main(
          c.getInt("trainer.steps"),
          c.getInt("trainer.prompts_per_step"),
          c.getInt("trainer.group_size"),
          c.getDouble("trainer.learning_rate"),
          c.getString("trainer.lr_schedule"),
          c.getInt("trainer.warmup_steps"),
          c.getInt("trainer.micro_batch_tokens"),
          c.hasPath("trainer.pass_layout") // absent from runs resumed from older configs
              ? passLayout(c.getString("trainer.pass_layout"))
              : PassLayout.SHARED_PREFIX,
          DynamicSampling.Mode.parse(c.getString("trainer.dynamic_sampling")),
          c.getInt("trainer.max_sampling_rounds"),
          // trainer.progress_every: its name in run configs from before 2026-12-07 (resume)
          c.hasPath("trainer.log_every")
              ? c.getInt("trainer.log_every")
              : c.hasPath("trainer.progress_every") ? c.getInt("trainer.progress_every") : 0,
          c.getString("trainer.run_dir"));
    }

    /** trainer.pass_layout: shared_prefix, packed or padded (docs/packed-update.md). */
    static PassLayout passLayout(String value) {
      for (PassLayout l : PassLayout.values()) {
        if (l.name().toLowerCase(java.util.Locale.ROOT).equals(value)) {
          return l;
        }
      }
      throw new ConfigException(
          "config error: trainer.pass_layout must be shared_prefix, packed or padded, got '"
              + value
              + "'");
    }

    /**
     * Whether global step {@code step} of {@code total} prints a plain progress line (to train.log,
     * and to the console when it is not a terminal): every {@code trainer.log_every} steps; with 0,
     * often enough for about 64 lines per run.
     */
    public boolean progressAt(long step, long total) {
      long every = logEvery > 0 ? logEvery : Math.max(1, (total + 63) / 64);
      return step % every == 0 || step == total;
    }
  }

  /**
   * trainer.eval_*: held-out evaluation, greedy, plus {@code samples} sampled responses per prompt
   * when it is above 1 (pass@k, avg@n, maj@n).
   */
  public record Evaluation(
      int every,
      int size,
      boolean beforeTrain,
      int samples,
      double temperature,
      double topP,
      int topK) {
    static Evaluation from(Config c) {
      return new Evaluation(
          c.getInt("trainer.eval_every"),
          c.getInt("trainer.eval_size"),
          c.getBoolean("trainer.eval_before_train"),
          c.getInt("trainer.eval_samples"),
          c.getDouble("trainer.eval_temperature"),
          c.getDouble("trainer.eval_top_p"),
          c.getInt("trainer.eval_top_k"));
    }

    /** Whether a phase evaluates after its step {@code phaseStep} (ends of phases always do). */
    public boolean at(long phaseStep) {
      return every > 0 && phaseStep % every == 0;
    }
  }

  /** trainer.checkpoint_every and trainer.keep_checkpoints. */
  public record Checkpointing(int every, int keep) {
    static Checkpointing from(Config c) {
      return new Checkpointing(
          c.getInt("trainer.checkpoint_every"), c.getInt("trainer.keep_checkpoints"));
    }

    /** Whether a checkpoint is written after global step {@code step} of {@code total}. */
    public boolean at(long step, long total) {
      return step == total || (every > 0 && step % every == 0);
    }
  }

  /** rollout.*: how responses are sampled. */
  public record Rollout(double temperature, int topK, double topP, int maxNewTokens) {
    static Rollout from(Config c) {
      return new Rollout(
          c.getDouble("rollout.temperature"),
          c.getInt("rollout.top_k"),
          c.getDouble("rollout.top_p"),
          c.getInt("rollout.max_new_tokens"));
    }

    /** {@code rollout.max_new_tokens}, or when 0 the task's longest answer + EOS + 2 of slack. */
    public int maxNewTokens(Task task) {
      return MaxNewTokens.of(maxNewTokens, task);
    }
  }

  /** task.chat, task.system and task.instruction: how prompts are rendered ({@link ChatFormat}). */
  public record Chat(boolean enabled, String system, String instruction) {
    static Chat from(Config c) {
      return new Chat(
          c.getBoolean("task.chat"), c.getString("task.system"), c.getString("task.instruction"));
    }
  }

  /** preference.*: where a preference run's pairs come from and how it trains on them. */
  public record Preference(
      String source,
      String path,
      int prompts,
      int samplesPerPrompt,
      int pairsPerPrompt,
      String pairing,
      double temperature,
      int batchPairs,
      int evalPairs) {
    static Preference from(Config c) {
      return new Preference(
          c.getString("preference.source"),
          c.getString("preference.path"),
          c.getInt("preference.prompts"),
          c.getInt("preference.samples_per_prompt"),
          c.getInt("preference.pairs_per_prompt"),
          c.getString("preference.pairing"),
          c.getDouble("preference.temperature"),
          c.getInt("preference.batch_pairs"),
          c.getInt("preference.eval_pairs"));
    }

    /** Whether the pairs are read from {@code path} rather than sampled from the policy. */
    public boolean fromJsonl() {
      return source.equals("jsonl");
    }
  }

  /** tensorboard.*: the TEXT tab's sample tables. */
  public record Samples(int rows, int every, int chars, int tokens) {
    static Samples from(Config c) {
      return new Samples(
          c.getInt("tensorboard.samples"),
          c.getInt("tensorboard.samples_every"),
          c.getInt("tensorboard.sample_chars"),
          c.getInt("tensorboard.sample_tokens"));
    }
  }

  /** distributed.backend and distributed.async (the rest is the pool plugin's to read). */
  public record Distributed(String backend, boolean async) {
    static Distributed from(Config c) {
      return new Distributed(c.getString("distributed.backend"), c.getBoolean("distributed.async"));
    }
  }
}
