package org.tokenrl.trainer.setup;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tokenrl.core.ConfigException;

/**
 * The allowed values of every numeric and every choice key of base.conf and the model group (the
 * algorithm and task blocks are checked by their own classes when they are built). base.conf
 * declares the types; this table adds what a type cannot say, so that {@code trainer.steps=-1} is
 * one line naming the key before any work instead of a run that "succeeds" doing nothing. {@code
 * ConfigRangesTest} fails when base.conf gains a numeric key without a range here.
 */
final class ConfigRanges {
  /** A closed or half-open interval; {@code integer} also rejects fractions. */
  record Range(double min, boolean minOpen, double max, boolean maxOpen) {
    boolean contains(double x) {
      return (minOpen ? x > min : x >= min) && (maxOpen ? x < max : x <= max);
    }

    String describe() {
      boolean lower = min != Double.NEGATIVE_INFINITY;
      boolean upper = max != Double.POSITIVE_INFINITY;
      if (lower && upper) {
        return "in " + (minOpen ? "(" : "[") + fmt(min) + ", " + fmt(max) + (maxOpen ? ")" : "]");
      }
      if (lower) {
        return (minOpen ? "> " : ">= ") + fmt(min);
      }
      return upper ? (maxOpen ? "< " : "<= ") + fmt(max) : "a finite number";
    }

    private static String fmt(double v) {
      return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
  }

  private static final double INF = Double.POSITIVE_INFINITY;
  private static final Range ANY = new Range(Double.NEGATIVE_INFINITY, false, INF, false);
  private static final Range AT_LEAST_0 = atLeast(0);
  private static final Range AT_LEAST_1 = atLeast(1);
  private static final Range POSITIVE = new Range(0, true, INF, false);
  private static final Range FRACTION_OPEN_TOP = new Range(0, false, 1, true);

  static final Map<String, Range> RANGES = new LinkedHashMap<>();

  /**
   * The keys of {@link #RANGES} that take any real number; every other one is an integer and
   * refuses a fraction (base.conf's schema does too, but a resumed run's hand-edited config.conf is
   * read without it, and Typesafe Config's getInt would truncate 2.5 to 2).
   */
  static final java.util.Set<String> REAL =
      java.util.Set.of(
          "sft.learning_rate",
          "trainer.learning_rate",
          "preference.temperature",
          "optimizer.beta1",
          "optimizer.beta2",
          "optimizer.eps",
          "optimizer.weight_decay",
          "optimizer.grad_clip",
          "rollout.temperature",
          "rollout.top_p",
          "model.rms_norm_eps",
          "model.rope_theta",
          "model.lora.alpha",
          "model.lora.dropout");

  static final Map<String, List<String>> CHOICES = new LinkedHashMap<>();

  static {
    RANGES.put("task.seed", ANY);
    RANGES.put("task.train_size", AT_LEAST_1);
    RANGES.put("task.eval_size", AT_LEAST_1);
    RANGES.put("run.seed", ANY);
    RANGES.put("sft.steps", AT_LEAST_0);
    RANGES.put("sft.batch_size", AT_LEAST_1);
    RANGES.put("sft.learning_rate", AT_LEAST_0);
    RANGES.put("sft.warmup_steps", AT_LEAST_0);
    RANGES.put("trainer.steps", AT_LEAST_0);
    RANGES.put("trainer.prompts_per_step", AT_LEAST_1);
    RANGES.put("trainer.group_size", AT_LEAST_1);
    RANGES.put("trainer.micro_batch_tokens", AT_LEAST_1);
    RANGES.put("trainer.learning_rate", AT_LEAST_0);
    RANGES.put("trainer.warmup_steps", AT_LEAST_0);
    RANGES.put("trainer.eval_every", AT_LEAST_0);
    RANGES.put("trainer.eval_size", AT_LEAST_0);
    RANGES.put("trainer.eval_samples", AT_LEAST_1);
    RANGES.put("trainer.eval_temperature", POSITIVE);
    RANGES.put("trainer.eval_top_p", new Range(0, true, 1, false));
    RANGES.put("trainer.eval_top_k", AT_LEAST_0);
    RANGES.put("trainer.checkpoint_every", AT_LEAST_0);
    RANGES.put("trainer.keep_checkpoints", AT_LEAST_1);
    RANGES.put("trainer.log_every", AT_LEAST_0);
    RANGES.put("trainer.rollouts_max_mb", AT_LEAST_1);
    RANGES.put("trainer.max_sampling_rounds", AT_LEAST_1);
    RANGES.put("preference.prompts", AT_LEAST_1);
    RANGES.put("preference.samples_per_prompt", atLeast(2));
    RANGES.put("preference.pairs_per_prompt", AT_LEAST_1);
    RANGES.put("preference.temperature", POSITIVE);
    RANGES.put("preference.batch_pairs", AT_LEAST_1);
    RANGES.put("preference.eval_pairs", AT_LEAST_0);
    RANGES.put("optimizer.beta1", FRACTION_OPEN_TOP);
    RANGES.put("optimizer.beta2", FRACTION_OPEN_TOP);
    RANGES.put("optimizer.eps", POSITIVE);
    RANGES.put("optimizer.weight_decay", AT_LEAST_0);
    RANGES.put("optimizer.grad_clip", AT_LEAST_0);
    RANGES.put("rollout.workers", AT_LEAST_0);
    RANGES.put("rollout.temperature", POSITIVE);
    RANGES.put("rollout.top_k", AT_LEAST_0);
    RANGES.put("rollout.top_p", new Range(0, true, 1, false));
    RANGES.put("rollout.max_new_tokens", AT_LEAST_0);
    RANGES.put("rollout.max_turns", AT_LEAST_1);
    RANGES.put("rollout.max_total_tokens", AT_LEAST_0);
    RANGES.put("rollout.env_timeout_s", POSITIVE);
    RANGES.put("distributed.ray.actors", AT_LEAST_1);
    RANGES.put("distributed.ray.max_restarts", AT_LEAST_0);
    RANGES.put("distributed.ray.init_timeout_s", AT_LEAST_1);
    RANGES.put("distributed.ray.call_timeout_s", AT_LEAST_1);
    RANGES.put("tensorboard.samples", AT_LEAST_0);
    RANGES.put("tensorboard.samples_every", AT_LEAST_0);
    RANGES.put("tensorboard.sample_chars", AT_LEAST_1);
    RANGES.put("tensorboard.sample_tokens", AT_LEAST_1);
    RANGES.put("model.d_model", AT_LEAST_1);
    RANGES.put("model.layers", AT_LEAST_1);
    RANGES.put("model.heads", AT_LEAST_1);
    RANGES.put("model.d_ff", AT_LEAST_1);
    RANGES.put("model.max_seq_len", atLeast(2));
    // llama keys (HF config.json names); LlamaConfig repeats the structural checks (GQA divides).
    RANGES.put("model.vocab_size", atLeast(2));
    RANGES.put("model.hidden_size", AT_LEAST_1);
    RANGES.put("model.intermediate_size", AT_LEAST_1);
    RANGES.put("model.num_hidden_layers", AT_LEAST_1);
    RANGES.put("model.num_attention_heads", AT_LEAST_1);
    RANGES.put("model.num_key_value_heads", AT_LEAST_1);
    RANGES.put("model.head_dim", AT_LEAST_0);
    RANGES.put("model.rms_norm_eps", POSITIVE);
    RANGES.put("model.rope_theta", POSITIVE);
    RANGES.put("model.max_position_embeddings", atLeast(2));
    RANGES.put("model.lora.rank", AT_LEAST_0);
    RANGES.put("model.lora.alpha", POSITIVE);
    RANGES.put("model.lora.dropout", FRACTION_OPEN_TOP);

    CHOICES.put("model.arch", List.of("gpt", "llama"));
    CHOICES.put("trainer.lr_schedule", List.of("constant", "cosine"));
    CHOICES.put("trainer.dynamic_sampling", List.of("off", "drop", "refill"));
    CHOICES.put("preference.source", List.of("on_policy", "jsonl"));
    CHOICES.put("preference.pairing", List.of("distinct", "frequency"));
    CHOICES.put("reward.on_error", List.of("stop", "zero"));
    CHOICES.put("distributed.rewards_on", List.of("trainer", "actors"));
  }

  private ConfigRanges() {}

  private static Range atLeast(double min) {
    return new Range(min, false, INF, false);
  }

  /**
   * Checks every key of the tables that {@code c} holds.
   *
   * @throws ConfigException e.g. {@code config error: trainer.steps must be >= 0, got -1
   *     (command-line override 'trainer.steps=-1')}
   */
  static void check(Config c) {
    RANGES.forEach(
        (key, range) -> {
          if (!c.hasPath(key)) {
            return;
          }
          double value = c.getDouble(key);
          boolean tooBig = Math.abs(value) > Integer.MAX_VALUE && !key.endsWith("seed"); // long
          if (!REAL.contains(key)
              && Double.isFinite(value)
              && (value != Math.rint(value) || tooBig)) {
            throw new ConfigException(
                "config error: "
                    + key
                    + " must be a whole number"
                    + (tooBig ? " below 2^31" : "")
                    + ", got "
                    + text(c.getValue(key))
                    + where(c.getValue(key)));
          }
          if (!Double.isFinite(value) || !range.contains(value)) {
            throw new ConfigException(
                "config error: "
                    + key
                    + " must be "
                    + range.describe()
                    + ", got "
                    + text(c.getValue(key))
                    + where(c.getValue(key)));
          }
        });
    CHOICES.forEach(
        (key, options) -> {
          if (c.hasPath(key) && !options.contains(c.getString(key))) {
            throw new ConfigException(
                "config error: "
                    + key
                    + " must be one of "
                    + String.join(", ", options)
                    + ", got '"
                    + c.getString(key)
                    + "'"
                    + where(c.getValue(key)));
          }
        });
    SaveRollouts.every(c); // a step count or off
    if (c.hasPath("distributed.ray.worker_heap")
        && !c.getString("distributed.ray.worker_heap").matches("\\d+[kKmMgG]?")) {
      throw new ConfigException(
          "config error: distributed.ray.worker_heap must be a JVM heap size like 1g or 512m, got '"
              + c.getString("distributed.ray.worker_heap")
              + "'"
              + where(c.getValue("distributed.ray.worker_heap")));
    }
    if (c.hasPath("model.d_model")
        && c.hasPath("model.heads")
        && c.getInt("model.d_model") % c.getInt("model.heads") != 0) {
      throw new ConfigException(
          "config error: model.d_model ("
              + c.getInt("model.d_model")
              + ") must be divisible by model.heads ("
              + c.getInt("model.heads")
              + ")"
              + where(c.getValue("model.heads")));
    }
    if (c.hasPath("sft.steps")
        && c.hasPath("trainer.steps")
        && c.getLong("sft.steps") + c.getLong("trainer.steps") < 1) {
      throw new ConfigException(
          "config error: sft.steps + trainer.steps must be >= 1, got 0: nothing to train");
    }
  }

  private static String text(ConfigValue value) {
    return value.atKey("v").getString("v");
  }

  /** " (file: line)" or " (command-line override '...')" from the value's origin. */
  private static String where(ConfigValue value) {
    var origin = value.origin();
    if (origin.filename() != null) {
      return " ("
          + org.tokenrl.core.ConfigLoader.display(java.nio.file.Path.of(origin.filename()))
          + ":"
          + origin.lineNumber()
          + ")";
    }
    String description = origin.description();
    if (description == null || description.isBlank()) {
      return "";
    }
    // an override's origin is "command-line override '...': 1": the line number means nothing
    return " (" + description.replaceFirst(": \\d+$", "") + ")";
  }
}
