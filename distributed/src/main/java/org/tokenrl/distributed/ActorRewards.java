package org.tokenrl.distributed;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.tokenrl.core.CharTokenizer;
import org.tokenrl.core.RolloutBatch;
import org.tokenrl.core.Tokenizer;
import org.tokenrl.rewards.CompositeReward;
import org.tokenrl.rewards.RewardInput;
import org.tokenrl.rewards.RewardResult;
import org.tokenrl.rollout.Example;
import org.tokenrl.rollout.Task;
import org.tokenrl.rollout.Tasks;

/**
 * The run's composite reward as a rollout actor computes it ({@code distributed.rewards_on =
 * actors}): the actor builds the run's {@link Task} and {@link CompositeReward} once, from the
 * resolved run config, and scores each slice it samples exactly as the trainer would score it.
 *
 * <p>The trainer sends only token ids, example ids and references, so the actor looks each example
 * up by id in its own copy of the task (train and held-out) and decodes responses with the
 * character tokenizer the trainer uses. Relative data paths (JSONL tasks) resolve against the
 * project root, which is the same path on every node (as the code search path already assumes).
 * Each row's prompt ids and reference are checked against the example found, so a node whose
 * checkout or data differs fails loudly instead of scoring the wrong answers.
 */
public final class ActorRewards {
  private final Task task;
  private final CompositeReward reward;
  // TrainingRun encodes prompts with CharTokenizer.ascii() (checkpoints store the same alphabet).
  private final Tokenizer tokenizer = CharTokenizer.ascii();
  private final Map<Integer, Example> examples = new HashMap<>();

  public ActorRewards(Config runConfig, Path projectRoot) {
    this.task = Tasks.create(runConfig.getConfig("task"), projectRoot);
    this.reward = CompositeReward.fromConfig(runConfig, projectRoot); // python.path, too
    for (List<Example> split : List.of(task.train(), task.heldOut())) {
      for (Example ex : split) {
        examples.put(ex.id(), ex);
      }
    }
  }

  /** The resolved run config as one HOCON string, the form it crosses to an actor in. */
  static String render(Config runConfig) {
    return runConfig.root().render(ConfigRenderOptions.concise());
  }

  /** Rebuilds from {@link #render}'s string and the project root path, on the actor. */
  static ActorRewards fromRendered(String runConfig, String projectRoot) {
    return new ActorRewards(ConfigFactory.parseString(runConfig).resolve(), Path.of(projectRoot));
  }

  /** The vocabulary size of the tokenizer responses are decoded with. */
  int vocabSize() {
    return tokenizer.vocabSize();
  }

  /**
   * The composite reward's total per row of {@code batch} (a slice starting at row {@code firstRow}
   * of the step's batch, which error messages name).
   *
   * @throws IllegalStateException when a reward function fails ({@code reward.on_error = stop}),
   *     with the reward's own message, or when a row does not match the actor's task
   */
  public double[] score(RolloutBatch batch, int firstRow) {
    return scoreWithComponents(batch, firstRow).total();
  }

  /** The same, with each component's per-row scores and the failure count (for the metrics). */
  public RewardResult scoreWithComponents(RolloutBatch batch, int firstRow) {
    int n = batch.size();
    int g = batch.groupSize();
    int[][] promptIds = batch.allPromptIds();
    int[][] responseIds = batch.allResponseIds();
    List<Example> rowExamples = new ArrayList<>(n);
    List<String> promptTexts = new ArrayList<>(n);
    List<String> responseTexts = new ArrayList<>(n);
    List<String> references = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Example ex = example(batch, i, firstRow);
      rowExamples.add(ex);
      promptTexts.add(ex.prompt());
      responseTexts.add(tokenizer.decode(responseIds[i]));
      references.add(ex.answer());
    }
    // Built as Trainer.rewardInput builds it, so both places give the same totals.
    RewardInput input =
        new RewardInput(
            g,
            promptIds,
            responseIds,
            promptTexts,
            responseTexts,
            references,
            batch.truncatedFlags(),
            (row, text) -> task.isCorrect(rowExamples.get(row), text),
            tokenizer::encodePlain,
            RewardInput.columnsOfRows(rowExamples.stream().map(Example::rewardColumns).toList()));
    try {
      return reward.score(input);
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "distributed.rewards_on = actors: scoring rows "
              + firstRow
              + ".."
              + (firstRow + n - 1)
              + " of the step's batch on a rollout actor (sample numbers count from row "
              + firstRow
              + "): "
              + e.getMessage());
    }
  }

  /** Row {@code i}'s example, checked against what the trainer sent for it. */
  private Example example(RolloutBatch batch, int i, int firstRow) {
    int id = batch.exampleId(i);
    Example ex = examples.get(id);
    String where =
        "distributed.rewards_on = actors: row "
            + (firstRow + i)
            + " of the step's batch has"
            + " example id "
            + id
            + ", but the rollout actor's task '"
            + task.name()
            + "' ";
    String fix =
        "; every node needs the same checkout and data files at the same path, or set"
            + " distributed.rewards_on = trainer";
    if (ex == null) {
      throw new IllegalStateException(where + "has no example with that id" + fix);
    }
    if (!ex.answer().equals(batch.reference(i))
        || !Arrays.equals(promptIds(ex.prompt()), batch.promptIds(i))) {
      throw new IllegalStateException(
          where
              + "has a different prompt or answer for it (\""
              + ex.prompt()
              + "\" -> \""
              + ex.answer()
              + "\", the trainer sent reference \""
              + batch.reference(i)
              + "\")"
              + fix);
    }
    return ex;
  }

  /** BOS then the prompt's characters, as the trainer's PromptCodec encodes a prompt. */
  private int[] promptIds(String prompt) {
    int[] body = tokenizer.encode(prompt);
    int[] ids = new int[body.length + 1];
    ids[0] = tokenizer.bos();
    System.arraycopy(body, 0, ids, 1, body.length);
    return ids;
  }
}
