package org.tokenrl.runlog;

import java.util.List;
import java.util.Map;
import org.tokenrl.core.Metrics;

/**
 * TensorBoard's HPARAMS tab for a run: the run's headline hyperparameters, the metrics to show next
 * to them, and how the run ended. Encoded by hand as the hparams plugin's {@code HParamsPluginData}
 * (tensorboard/plugins/hparams/plugin_data.proto and api.proto, version 0) and written as three
 * summaries: {@code _hparams_/experiment}, {@code _hparams_/session_start_info} and {@code
 * _hparams_/session_end_info}.
 *
 * <p>The columns and values are the trainer's ({@link Hyperparameters}): TensorBoard takes the
 * experiment (the column list) from whichever run it reads first, so every run writes the same one.
 * A column the run lacks is left out of its session and shows blank. Each session has no group
 * name, so the tab shows one row per run.
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

  /** Metrics shown next to the hyperparameters (TensorBoard shows each one's last value). */
  static final List<String> METRICS =
      List.of(
          Metrics.EVAL_ACCURACY,
          Metrics.EVAL_LOGP_ACCURACY,
          Metrics.EVAL_PREF_ACCURACY,
          Metrics.TRAIN_REWARD_MEAN,
          Metrics.TRAIN_ACCURACY,
          Metrics.TRAIN_REWARD_STD,
          Metrics.ACTOR_ENTROPY,
          Metrics.ACTOR_KL,
          Metrics.ACTOR_CLIP_FRAC,
          Metrics.ACTOR_LOSS,
          Metrics.SFT_NLL,
          Metrics.PREF_ACCURACY,
          Metrics.PREF_REWARD_MARGIN,
          Metrics.PERF_TOKENS_PER_SEC);

  private HParams() {}

  /** The experiment summary's content: the hparam and metric columns. */
  static byte[] experiment(Hyperparameters hparams) {
    Protobuf experiment = new Protobuf();
    for (Hyperparameters.Column column : hparams.columns()) {
      Protobuf info =
          new Protobuf()
              .string(1, column.key())
              .string(2, column.key())
              .varint(4, column.type().proto);
      if (hparams.differing().contains(column.key())) {
        info.varint(7, 1); // HParamInfo.differs: the UI shows these columns first
      }
      experiment.message(4, info);
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
  static byte[] sessionStart(Hyperparameters hparams, String runDir, double startSeconds) {
    Protobuf start = new Protobuf();
    for (Map.Entry<String, Object> e : hparams.values().entrySet()) {
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
}
