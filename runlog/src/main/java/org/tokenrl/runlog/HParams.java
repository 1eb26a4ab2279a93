package org.tokenrl.runlog;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * TensorBoard's HPARAMS tab for a run: the run's headline hyperparameters, the metrics to show next
 * to them, and how the run ended. Encoded by hand as the hparams plugin's {@code HParamsPluginData}
 * (tensorboard/plugins/hparams/plugin_data.proto and api.proto, version 0) and written as three
 * summaries: {@code _hparams_/experiment}, {@code _hparams_/session_start_info} and {@code
 * _hparams_/session_end_info}.
 *
 * <p>TensorBoard takes the experiment (the column list) from whichever run it reads first, so every
 * run writes the same one: a fixed list of keys, not this run's keys. A key the run's config lacks
 * (e.g. {@code algorithm.td_weight} on a GRPO run) is left out of its session and shows blank. Each
 * session has no group name, so the tab shows one row per run.
 */
final class HParams {
  static final String PLUGIN = "hparams";
  static final String EXPERIMENT_TAG = "_hparams_/experiment";
  static final String SESSION_START_TAG = "_hparams_/session_start_info";
  static final String SESSION_END_TAG = "_hparams_/session_end_info";

  /** How a run ended; the numbers are api.proto's {@code Status}. */
  enum Status {
    /**
     * Stopped before its last step by Ctrl-C (the same value TensorBoard shows for a killed run).
     */
    ABORTED(0),
    SUCCESS(1),
    FAILURE(2);

    final int proto;

    Status(int proto) {
      this.proto = proto;
    }
  }

  private enum Type {
    STRING(1),
    BOOL(2),
    NUMBER(3);

    final int proto;

    Type(int proto) {
      this.proto = proto;
    }
  }

  private record Key(String path, Type type) {}

  /** The columns of the HPARAMS tab, in order: what tells one run's algorithm from another's. */
  private static final List<Key> KEYS =
      List.of(
          new Key("algorithm.name", Type.STRING),
          new Key("algorithm.base", Type.STRING), // d3s on grpo or tempo
          new Key("task.name", Type.STRING),
          new Key("model.name", Type.STRING),
          new Key("run.seed", Type.NUMBER),
          new Key("sft.steps", Type.NUMBER),
          new Key("sft.learning_rate", Type.NUMBER),
          new Key("trainer.steps", Type.NUMBER),
          new Key("trainer.learning_rate", Type.NUMBER),
          new Key("trainer.lr_schedule", Type.STRING),
          new Key("trainer.prompts_per_step", Type.NUMBER),
          new Key("trainer.group_size", Type.NUMBER),
          new Key("trainer.dynamic_sampling", Type.STRING),
          new Key("rollout.temperature", Type.NUMBER),
          new Key("algorithm.kl_beta", Type.NUMBER),
          new Key("algorithm.clip_eps_low", Type.NUMBER),
          new Key("algorithm.clip_eps_high", Type.NUMBER),
          new Key("algorithm.scale_rewards", Type.STRING), // grpo
          new Key("algorithm.loss_agg", Type.STRING),
          new Key("algorithm.updates_per_batch", Type.NUMBER),
          new Key("algorithm.td_weight", Type.NUMBER), // tempo
          new Key("algorithm.n_init", Type.NUMBER), // d3s schedule
          new Key("algorithm.n_final", Type.NUMBER),
          new Key("algorithm.k_init", Type.NUMBER),
          new Key("algorithm.k_final", Type.NUMBER),
          new Key("algorithm.beta", Type.NUMBER), // dpo, treg, cdpo, otr
          new Key("algorithm.alpha", Type.NUMBER), // treg
          new Key("algorithm.k", Type.NUMBER), // otr
          new Key("model.d_model", Type.NUMBER),
          new Key("model.layers", Type.NUMBER));

  /** LoRA rank, under whichever name a model config gives it; listed only when a run has one. */
  private static final List<Key> LORA_KEYS =
      List.of(new Key("model.lora.rank", Type.NUMBER), new Key("model.lora_rank", Type.NUMBER));

  /** Metrics shown next to the hyperparameters (TensorBoard shows each one's last value). */
  static final List<String> METRICS =
      List.of(
          "eval/accuracy",
          "eval/logp_accuracy",
          "eval/pref_accuracy",
          "train/reward_mean",
          "train/accuracy",
          "train/reward_std",
          "actor/entropy",
          "actor/kl",
          "actor/clip_frac",
          "actor/loss",
          "sft/nll",
          "pref/accuracy",
          "pref/reward_margin",
          "perf/tokens_per_sec");

  private HParams() {}

  /** The hyperparameters of {@code config} that the HPARAMS tab shows, keyed by config path. */
  static Map<String, Object> values(Config config) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Key key : keys(config)) {
      if (!config.hasPath(key.path())) {
        continue;
      }
      ConfigValue v = config.getValue(key.path());
      Object value = v.unwrapped();
      if (v.valueType() == ConfigValueType.NUMBER) {
        value = ((Number) value).doubleValue();
      } else if (v.valueType() != ConfigValueType.BOOLEAN) {
        value = String.valueOf(value);
      }
      out.put(key.path(), value);
    }
    return out;
  }

  /** The experiment summary's content: the hparam and metric columns. */
  static byte[] experiment(Config config) {
    Protobuf experiment = new Protobuf();
    for (Key key : keys(config)) {
      experiment.message(
          4,
          new Protobuf().string(1, key.path()).string(2, key.path()).varint(4, key.type().proto));
    }
    for (String metric : METRICS) {
      int dataset = metric.startsWith("eval/") ? 2 : 1; // DATASET_VALIDATION : DATASET_TRAINING
      experiment.message(
          5,
          new Protobuf()
              .message(1, new Protobuf().string(1, "").string(2, metric))
              .string(3, metric)
              .varint(5, dataset));
    }
    return pluginData(2, experiment);
  }

  /** The session-start summary's content: this run's values, its directory and start time. */
  static byte[] sessionStart(Config config, String runDir, double startSeconds) {
    Protobuf start = new Protobuf();
    for (Map.Entry<String, Object> e : values(config).entrySet()) {
      Protobuf value = new Protobuf();
      if (e.getValue() instanceof Double d) {
        value.fixed64(2, d);
      } else if (e.getValue() instanceof Boolean b) {
        value.varint(4, b ? 1 : 0);
      } else {
        value.string(3, (String) e.getValue());
      }
      // map<string, google.protobuf.Value> hparams = 1: one {key = 1, value = 2} entry per pair
      start.message(1, new Protobuf().string(1, e.getKey()).message(2, value));
    }
    start.string(2, runDir).fixed64(5, startSeconds);
    return pluginData(3, start);
  }

  /** The session-end summary's content. */
  static byte[] sessionEnd(Status status, double endSeconds) {
    return pluginData(4, new Protobuf().varint(1, status.proto).fixed64(2, endSeconds));
  }

  /** HParamsPluginData {version = 0 (field 1, omitted as the default), one of fields 2-4}. */
  private static byte[] pluginData(int field, Protobuf message) {
    return new Protobuf().message(field, message).toByteArray();
  }

  private static List<Key> keys(Config config) {
    List<Key> keys = new ArrayList<>(KEYS);
    for (Key lora : LORA_KEYS) {
      if (config.hasPath(lora.path())) {
        keys.add(lora);
      }
    }
    return keys;
  }
}
