package org.tokenrl.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.tokenrl.core.CharTokenizer;
import org.tokenrl.core.Rollout;
import org.tokenrl.core.RolloutBatch;
import org.tokenrl.rewards.CompositeReward;
import org.tokenrl.rewards.RewardInput;
import org.tokenrl.rollout.Example;
import org.tokenrl.rollout.PromptRequest;
import org.tokenrl.rollout.Task;
import org.tokenrl.rollout.Tasks;

/** distributed.rewards_on = actors without Ray: an actor's scores are the trainer's scores. */
class ActorRewardsTest {
  static final CharTokenizer TOKENIZER = CharTokenizer.ascii();

  /** The first {@code count} training examples of the config's task. */
  static List<Example> examples(Config config, int count) {
    return Tasks.create(config.getConfig("task"), RayRolloutPoolTest.ROOT)
        .train()
        .subList(0, count);
  }

  /** What the trainer sends for {@code examples}: BOS + the prompt's characters, the answer. */
  static List<PromptRequest> requests(List<Example> examples) {
    List<PromptRequest> out = new ArrayList<>();
    for (Example ex : examples) {
      int[] body = TOKENIZER.encode(ex.prompt());
      int[] ids = new int[body.length + 1];
      ids[0] = TOKENIZER.bos();
      System.arraycopy(body, 0, ids, 1, body.length);
      out.add(new PromptRequest(ex.id(), ids, ex.answer()));
    }
    return out;
  }

  /**
   * The composite reward as the trainer computes it (Trainer.rewardInput): row i belongs to {@code
   * sent.get(i / G)}, responses decoded with the character tokenizer.
   */
  static double[] trainerTotals(Config config, List<Example> sent, RolloutBatch batch) {
    Task task = Tasks.create(config.getConfig("task"), RayRolloutPoolTest.ROOT);
    int g = batch.groupSize();
    List<String> promptTexts = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    List<String> references = new ArrayList<>();
    int[][] responses = batch.allResponseIds();
    for (int i = 0; i < batch.size(); i++) {
      promptTexts.add(sent.get(i / g).prompt());
      texts.add(TOKENIZER.decode(responses[i]));
      references.add(sent.get(i / g).answer());
    }
    RewardInput input =
        new RewardInput(
            g,
            batch.allPromptIds(),
            responses,
            promptTexts,
            texts,
            references,
            batch.truncatedFlags(),
            (row, text) -> task.isCorrect(sent.get(row / g), text));
    return CompositeReward.fromConfig(config).score(input).total();
  }

  /** Group size 2: response 0 of each prompt is its answer, response 1 a wrong one. */
  static RolloutBatch rightThenWrong(BufferAllocator allocator, List<Example> examples) {
    List<PromptRequest> requests = requests(examples);
    List<Rollout> rows = new ArrayList<>();
    for (int p = 0; p < examples.size(); p++) {
      for (String answer : List.of(examples.get(p).answer(), "x" + examples.get(p).answer())) {
        int[] body = TOKENIZER.encode(answer);
        int[] response = Arrays.copyOf(body, body.length + 1);
        response[body.length] = TOKENIZER.eos();
        rows.add(
            new Rollout(
                examples.get(p).id(),
                p,
                requests.get(p).promptIds(),
                response,
                new float[response.length],
                new float[response.length],
                false,
                examples.get(p).answer(),
                0.0));
      }
    }
    return RolloutBatch.of(allocator, 2, rows);
  }

  @Test
  void scoresEqualTheTrainersForTaskAndBleuRewards() {
    for (Config config :
        List.of(
            RayRolloutPoolTest.config("distributed.rewards_on=actors"),
            RayRolloutPoolTest.config(
                "defaults.task=reverse",
                "rewards=[{name=bleu, weight=1.0, smoothing=method1}]",
                "distributed.rewards_on=actors"))) {
      List<Example> examples = examples(config, 3);
      try (BufferAllocator allocator = new RootAllocator();
          RolloutBatch batch = rightThenWrong(allocator, examples)) {
        double[] actual = new ActorRewards(config, RayRolloutPoolTest.ROOT).score(batch, 0);
        assertArrayEquals(trainerTotals(config, examples, batch), actual, 1e-12);
        for (int p = 0; p < 3; p++) {
          assertTrue(actual[2 * p] > actual[2 * p + 1], "the right answer scores higher");
        }
        assertTrue(actual[0] == 1.0, "a right answer scores 1 (task and BLEU alike)");
      }
    }
  }

  @Test
  void aPythonRewardScoresOnTheActorAsInTheTrainer() {
    // python.path resolves against the project root the actor is given, as task paths do.
    Config config =
        RayRolloutPoolTest.config(
            "rewards=[{name=python, path=\"rewards/src/test/resources/python/verl_reward.py\"}]",
            "distributed.rewards_on=actors");
    List<Example> examples = examples(config, 3);
    try (BufferAllocator allocator = new RootAllocator();
        RolloutBatch batch = rightThenWrong(allocator, examples)) {
      double[] actual = new ActorRewards(config, RayRolloutPoolTest.ROOT).score(batch, 0);
      assertArrayEquals(trainerTotals(config, examples, batch), actual, 1e-12);
      assertTrue(actual[0] == 1.0, "a right answer scores 1");
    }
  }

  @Test
  void aRowThatIsNotTheActorsExampleIsRejected() {
    Config config = RayRolloutPoolTest.config("distributed.rewards_on=actors");
    List<Example> examples = examples(config, 2);
    // The trainer's task differs: the same id carries another answer.
    List<Example> other =
        List.of(examples.get(0), new Example(examples.get(1).id(), examples.get(1).prompt(), "7"));
    try (BufferAllocator allocator = new RootAllocator();
        RolloutBatch batch = rightThenWrong(allocator, other)) {
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () -> new ActorRewards(config, RayRolloutPoolTest.ROOT).score(batch, 10));
      assertTrue(e.getMessage().contains("row 12 of the step's batch"), e.getMessage());
      assertTrue(e.getMessage().contains("example id " + examples.get(1).id()), e.getMessage());
      assertTrue(e.getMessage().contains("same checkout"), e.getMessage());
    }
  }

  @Test
  void aFailingRewardIsNamedWithItsSampleAndBatchRow() {
    Config plain = RayRolloutPoolTest.config();
    String prompt = examples(plain, 2).get(1).prompt();
    Config config = failingRewardConfig(prompt);
    List<Example> examples = examples(config, 3);
    try (BufferAllocator allocator = new RootAllocator();
        RolloutBatch batch = rightThenWrong(allocator, examples)) {
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () -> new ActorRewards(config, RayRolloutPoolTest.ROOT).score(batch, 6));
      String m = e.getMessage();
      assertTrue(m.contains("reward 'failing_test_reward' failed on sample 2"), m);
      assertTrue(m.contains("cannot score prompt \"" + prompt + "\""), m);
      assertTrue(m.contains("rows 6..11 of the step's batch"), m);
    }
  }

  static Config failingRewardConfig(String failOnPrompt, String... extra) {
    List<String> overrides =
        new ArrayList<>(
            List.of(
                "rewards=[{name=org.tokenrl.distributed.FailingTestReward, fail_on_prompt=\""
                    + failOnPrompt
                    + "\"}]",
                "distributed.rewards_on=actors"));
    overrides.addAll(List.of(extra));
    return RayRolloutPoolTest.config(overrides.toArray(String[]::new));
  }
}
