package org.tokenrl.core;

/**
 * Every metric name tokenrl logs, in one place: {@code metrics.jsonl} keys and TensorBoard tags.
 * What each one computes is in docs/metrics.md (a test keeps the two lists equal). Names are API:
 * lowercase {@code group/name}; a rename goes through {@link #RENAMED} so old runs still compare.
 */
public final class Metrics {
  private Metrics() {}

  // actor/
  public static final String ACTOR_CLIP_FRAC = "actor/clip_frac";
  public static final String ACTOR_CLIP_FRAC_HIGH = "actor/clip_frac_high";
  public static final String ACTOR_CLIP_FRAC_LOW = "actor/clip_frac_low";
  public static final String ACTOR_DUAL_CLIP_FRAC = "actor/dual_clip_frac";
  public static final String ACTOR_ENTROPY = "actor/entropy";
  public static final String ACTOR_KL = "actor/kl";
  public static final String ACTOR_LOSS = "actor/loss";
  public static final String ACTOR_LOSS_TOKENS = "actor/loss_tokens";
  public static final String ACTOR_PG_LOSS = "actor/pg_loss";
  public static final String ACTOR_POLICY_ENTROPY = "actor/policy_entropy";
  public static final String ACTOR_PPO_KL = "actor/ppo_kl";
  public static final String ACTOR_RATIO_MEAN = "actor/ratio_mean";

  // cdpo/
  public static final String CDPO_WEIGHT_MEAN = "cdpo/weight_mean";
  public static final String CDPO_WEIGHTED_MARGIN = "cdpo/weighted_margin";

  // completions/ (TRL's completion statistics, over the sampled rows)
  public static final String COMPLETIONS_CLIPPED_RATIO = "completions/clipped_ratio";
  public static final String COMPLETIONS_MAX_LENGTH = "completions/max_length";
  public static final String COMPLETIONS_MAX_TERMINATED_LENGTH =
      "completions/max_terminated_length";
  public static final String COMPLETIONS_MEAN_LENGTH = "completions/mean_length";
  public static final String COMPLETIONS_MEAN_TERMINATED_LENGTH =
      "completions/mean_terminated_length";
  public static final String COMPLETIONS_MIN_LENGTH = "completions/min_length";
  public static final String COMPLETIONS_MIN_TERMINATED_LENGTH =
      "completions/min_terminated_length";
  public static final String COMPLETIONS_ZERO_STD_GROUP_FRAC = "completions/zero_std_group_frac";

  // credit/
  public static final String CREDIT_ADV_ABS_MEAN = "credit/adv_abs_mean";
  public static final String CREDIT_NAN_REWARD_FRAC = "credit/nan_reward_frac";
  public static final String CREDIT_TRUNCATED_FRAC = "credit/truncated_frac";

  // d3s/
  public static final String D3S_ADV_VAR_AFTER = "d3s/adv_var_after";
  public static final String D3S_ADV_VAR_BEFORE = "d3s/adv_var_before";
  public static final String D3S_CANDIDATES = "d3s/candidates";
  public static final String D3S_KEPT_SAMPLE_FRAC = "d3s/kept_sample_frac";
  public static final String D3S_KEPT_TOKEN_FRAC = "d3s/kept_token_frac";
  public static final String D3S_SAMPLE_FRAC_TARGET = "d3s/sample_frac_target";
  public static final String D3S_TOKEN_FRAC_TARGET = "d3s/token_frac_target";

  // distributed/
  public static final String DISTRIBUTED_ACTOR_RESTARTS = "distributed/actor_restarts";
  public static final String DISTRIBUTED_TRANSPORT_MS = "distributed/transport_ms";
  public static final String DISTRIBUTED_WEIGHT_STALENESS = "distributed/weight_staleness";
  public static final String DISTRIBUTED_WEIGHT_SYNC_BYTES = "distributed/weight_sync_bytes";
  public static final String DISTRIBUTED_WEIGHT_SYNC_MS = "distributed/weight_sync_ms";

  // dynamic/
  public static final String DYNAMIC_KEPT_GROUPS = "dynamic/kept_groups";
  public static final String DYNAMIC_ROUNDS = "dynamic/rounds";
  public static final String DYNAMIC_SAMPLED_GROUPS = "dynamic/sampled_groups";

  // eval/
  public static final String EVAL_ACCURACY = "eval/accuracy";
  public static final String EVAL_MULTI_TURN_FRAC = "eval/multi_turn_frac";
  public static final String EVAL_LOGP_ACCURACY = "eval/logp_accuracy";
  public static final String EVAL_PREF_ACCURACY = "eval/pref_accuracy";

  // notes/
  public static final String NOTES_WARNINGS = "notes/warnings";

  // optim/
  public static final String OPTIM_GRAD_NORM = "optim/grad_norm";
  public static final String OPTIM_LR = "optim/lr";
  public static final String OPTIM_SKIPPED = "optim/skipped";
  public static final String OPTIM_SKIPPED_TOTAL = "optim/skipped_total";

  // otr/
  public static final String OTR_GT_SAMPLE_FRAC = "otr/gt_sample_frac";
  public static final String OTR_LOSS = "otr/loss";
  public static final String OTR_NLL = "otr/nll";
  public static final String OTR_PG_LOSS = "otr/pg_loss";
  public static final String OTR_TOKENS = "otr/tokens";

  // perf/
  public static final String PERF_ROLLOUT_TOKENS = "perf/rollout_tokens";
  public static final String PERF_TIME_STEP = "perf/time_step";
  public static final String PERF_TOKENS_PER_SEC = "perf/tokens_per_sec";

  // pref/
  public static final String PREF_ACCURACY = "pref/accuracy";
  public static final String PREF_PAIRS = "pref/pairs";
  public static final String PREF_REWARD_CHOSEN = "pref/reward_chosen";
  public static final String PREF_REWARD_MARGIN = "pref/reward_margin";
  public static final String PREF_REWARD_REJECTED = "pref/reward_rejected";

  // reward/
  public static final String REWARD_ERRORS = "reward/errors";

  // rollout/
  public static final String ROLLOUT_TURNS_MEAN = "rollout/turns_mean";
  public static final String ROLLOUT_ENV_TOKEN_FRAC = "rollout/env_token_frac";
  public static final String ROLLOUT_ENV_REWARD_MEAN = "rollout/env_reward_mean";
  public static final String ROLLOUT_ENV_ERRORS = "rollout/env_errors";

  // samples/
  public static final String SAMPLES_EVAL = "samples/eval";
  public static final String SAMPLES_ROLLOUTS = "samples/rollouts";

  // sft/
  public static final String SFT_NLL = "sft/nll";

  // tempo/
  public static final String TEMPO_BRANCH_TOKEN_FRAC = "tempo/branch_token_frac";
  public static final String TEMPO_DELTA_ABS_MEAN = "tempo/delta_abs_mean";

  // train/
  public static final String TRAIN_ACCURACY = "train/accuracy";
  public static final String TRAIN_REWARD_MEAN = "train/reward_mean";
  public static final String TRAIN_REWARD_STD = "train/reward_std";
  public static final String TRAIN_UPDATE_ROW_FRAC = "train/update_row_frac";

  // treg/
  public static final String TREG_DPO_LOSS = "treg/dpo_loss";
  public static final String TREG_REG_LOSS = "treg/reg_loss";
  public static final String TREG_WEIGHT_MEAN = "treg/weight_mean";

  /** {@code reward/<component>_mean}: a reward component's unweighted mean over the rows. */
  public static String rewardMean(String component) {
    return "reward/" + component + "_mean";
  }

  /** {@code reward/<component>/<key>}: the mean of an extra value a reward returned per row. */
  public static String rewardValue(String component, String key) {
    return "reward/" + component + "/" + key;
  }

  /** {@code eval/pass@<k>}: the unbiased pass@k over the held-out prompts' n samples. */
  public static String evalPassAt(int k) {
    return "eval/pass@" + k;
  }

  /** {@code eval/avg@<n>}: mean accuracy of the n samples per held-out prompt. */
  public static String evalAvgAt(int n) {
    return "eval/avg@" + n;
  }

  /** {@code eval/maj@<n>}: accuracy of the majority answer of the n samples per prompt. */
  public static String evalMajAt(int n) {
    return "eval/maj@" + n;
  }

  /** {@code perf/time_<phase>}: seconds a step spent in one phase. */
  public static String phaseTime(String phase) {
    return "perf/time_" + phase;
  }

  /**
   * Names older runs logged, with the name that now holds the same number: {@code compare} reads an
   * old run's metrics under the new names. (Each logged the same value as its successor, so nothing
   * is lost: docs/metrics.md, "Renamed".)
   */
  public static final java.util.Map<String, String> RENAMED =
      java.util.Map.of(
          "reward/total_mean", TRAIN_REWARD_MEAN,
          "credit/reward_mean", TRAIN_REWARD_MEAN,
          "reward/task_mean", TRAIN_ACCURACY,
          "rollout/response_len_mean", COMPLETIONS_MEAN_LENGTH,
          "train/truncated_frac", COMPLETIONS_CLIPPED_RATIO,
          "credit/zero_std_group_frac", COMPLETIONS_ZERO_STD_GROUP_FRAC);
}
