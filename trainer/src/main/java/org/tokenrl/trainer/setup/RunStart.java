package org.tokenrl.trainer.setup;

import com.typesafe.config.Config;
import java.nio.file.Path;
import org.tokenrl.algorithms.preference.PreferenceAlgorithm;
import org.tokenrl.algorithms.rl.RlAlgorithm;
import org.tokenrl.algorithms.sft.SupervisedAlgorithm;
import org.tokenrl.rewards.CompositeReward;
import org.tokenrl.rollout.Task;

/**
 * What a run starts from, built and checked once by {@link StartChecks#run} before the run
 * directory exists: the read config, the task with its data, and the main algorithm of {@code
 * spec.kind()} (the other two algorithm fields are null; {@code rewards} is an RL run's only).
 *
 * @param resolved the resolved config, for the factories that take their own block of it (the
 *     rollout pool plugin) and for the run's records (TensorBoard's HPARAMS tab)
 * @param projectRoot the directory relative paths of the config resolve against
 */
public record RunStart(
    Config resolved,
    Path projectRoot,
    RunSpec spec,
    Task task,
    RlAlgorithm rl,
    CompositeReward rewards,
    PreferenceAlgorithm preference,
    SupervisedAlgorithm supervised) {}
