package org.tokenrl.trainer.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tokenrl.core.PreferenceBatch;
import org.tokenrl.core.PreferenceSchema.TokenWeights;
import org.tokenrl.runlog.RunDirectory;

/** Short end-to-end runs of the preference (dpo, treg, cdpo) and supervised (sft, otr) phases. */
class PreferenceRunTest {
  private static final String PAIRS =
      "preference.path=\"experiments/preference/data/arith_pairs.jsonl\"";

  @TempDir Path tmp;

  private static JsonNode lastWith(Path run, String key) throws IOException {
    JsonNode found = null;
    for (JsonNode n : TrainingRunTest.metrics(run)) {
      if (n.has(key)) {
        found = n;
      }
    }
    return found;
  }

  /**
   * A JSONL task the tiny model half-learns in a few SFT steps: the answer is "a" or "b" by a rule
   * it cannot see yet, so sampling gives both correct and incorrect responses to most prompts.
   */
  private Path halfLearnableTask() throws IOException {
    Path data = tmp.resolve("ab.jsonl");
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      lines.add("{\"prompt\": \"q" + i + "\", \"answer\": \"" + (i % 2 == 0 ? "a" : "b") + "\"}");
    }
    Files.write(data, lines);
    return data;
  }

  /** From the pair-building log line: prompts with a correct and an incorrect response. */
  private static int promptsWithBothVerdicts(String log) {
    return Integer.parseInt(log.replaceAll("(?s).*; (\\d+) prompts had both.*", "$1"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"dpo", "treg", "cdpo"})
  void preferenceAlgorithmsTrainOnJsonlPairsAndCacheThemAsArrow(String algorithm)
      throws IOException {
    Path run =
        TrainingRunTest.train(
            tmp.resolve(algorithm),
            Long.MAX_VALUE,
            "algorithm=" + algorithm,
            "task.quality_tags=true",
            "preference.source=jsonl",
            PAIRS,
            "preference.batch_pairs=8",
            "preference.eval_pairs=16",
            algorithm.equals("cdpo") ? "algorithm.contrastive_sft_steps=2" : "trainer.steps=3");
    JsonNode last = lastWith(run, "pref/accuracy");
    assertEquals(6, last.get("step").asInt());
    assertTrue(Double.isFinite(last.get("actor/loss").asDouble()), last.toString());
    assertEquals(8.0, last.get("pref/pairs").asDouble());
    JsonNode eval = lastWith(run, "eval/pref_accuracy");
    double acc = eval.get("eval/pref_accuracy").asDouble();
    assertTrue(acc >= 0 && acc <= 1, eval.toString());

    try (RootAllocator alloc = new RootAllocator();
        PreferenceBatch pairs =
            PreferenceBatch.readFile(alloc, run.resolve("preference/pairs.arrow"))) {
      assertEquals(200, pairs.size(), "every JSONL pair fits the tiny model");
      TokenWeights expected =
          switch (algorithm) {
            case "treg" -> TokenWeights.TREG;
            case "cdpo" -> TokenWeights.CDPO;
            default -> TokenWeights.NONE;
          };
      assertEquals(expected, pairs.tokenWeights());
      for (int i = 0; i < pairs.size(); i++) {
        for (float lp : pairs.refChosenLogprobs(i)) {
          assertTrue(lp <= 0 && Float.isFinite(lp));
        }
        if (expected == TokenWeights.TREG) {
          for (float r : pairs.chosenTokenWeights(i)) {
            assertTrue(r > -0.5 && r < 0.5, "r̂ in (-0.5, 0.5)");
          }
        }
        if (expected == TokenWeights.CDPO) {
          float[] w = pairs.rejectedTokenWeights(i);
          assertEquals(1.0f, w[w.length - 1], "the rejected EOS token keeps weight 1");
          for (float v : w) {
            assertTrue(v >= 0 && v <= 1, "w = 1 - s in [0, 1]");
          }
        }
      }
    }
  }

  @Test
  void resumedDpoRunReusesTheCachedPairsAndEqualsTheUninterruptedRun() throws IOException {
    String[] args = {
      "algorithm=treg",
      "task.quality_tags=true",
      "preference.source=jsonl",
      PAIRS,
      "preference.batch_pairs=8",
      "preference.eval_pairs=16",
      "trainer.checkpoint_every=1"
    };
    Path full = TrainingRunTest.train(tmp.resolve("full"), Long.MAX_VALUE, args);
    Path killed = TrainingRunTest.train(tmp.resolve("killed"), 5, args);
    RunDirectory dir = RunDirectory.existing(killed);
    new TrainingRun(
            org.tokenrl.core.ConfigLoader.loadResolved(dir.config()).config(),
            dir,
            TrainingRunTest.ROOT)
        .run(true);
    assertEquals(
        TrainingRunTest.metricsWithoutTiming(full), TrainingRunTest.metricsWithoutTiming(killed));
    assertTrue(
        Files.readString(killed.resolve("train.log")).contains("preference pairs: loaded from"));
  }

  @Test
  void onPolicyPairsComeFromSampledCorrectAndIncorrectResponses() throws IOException {
    Path data = halfLearnableTask();
    Path run =
        TrainingRunTest.train(
            tmp.resolve("onpolicy"),
            Long.MAX_VALUE,
            "algorithm=cdpo",
            "task=jsonl",
            "task.path=\"" + data + "\"",
            "sft.steps=30",
            "sft.learning_rate=1e-2",
            "preference.prompts=32",
            "preference.samples_per_prompt=8",
            "preference.batch_pairs=8",
            "preference.eval_pairs=4",
            "algorithm.contrastive_sft_steps=2");
    String log = Files.readString(run.resolve("train.log"));
    assertTrue(log.contains("had both a correct and an incorrect response"), log);
    int prompts = promptsWithBothVerdicts(log);
    try (RootAllocator alloc = new RootAllocator();
        PreferenceBatch pairs =
            PreferenceBatch.readFile(alloc, run.resolve("preference/pairs.arrow"))) {
      assertTrue(pairs.size() > 0);
      assertTrue(pairs.size() <= 2 * prompts, "at most pairs_per_prompt = 2 pairs per prompt");
      for (int i = 0; i < pairs.size(); i++) {
        assertTrue(
            !java.util.Arrays.equals(pairs.chosenIds(i), pairs.rejectedIds(i)),
            "a pair's responses differ");
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sft", "otr"})
  void supervisedAlgorithmsTrainAsTheMainPhase(String algorithm) throws IOException {
    Path run =
        TrainingRunTest.train(
            tmp.resolve(algorithm),
            Long.MAX_VALUE,
            "algorithm=" + algorithm,
            algorithm.equals("otr") ? "algorithm.k=16" : "trainer.steps=3");
    JsonNode last = lastWith(run, "optim/lr");
    assertEquals(6, last.get("step").asInt());
    assertEquals(0.0, last.get("optim/skipped").asDouble());
    if (algorithm.equals("otr")) {
      assertTrue(last.has("actor/loss"), last.toString());
    } else {
      assertTrue(last.get("sft/nll").asDouble() > 0);
    }
  }

  @Test
  void frequencyPairingGivesOnePairPerPromptWithBothVerdicts() throws IOException {
    Path data = halfLearnableTask();
    Path run =
        TrainingRunTest.train(
            tmp.resolve("freq"),
            Long.MAX_VALUE,
            "algorithm=dpo",
            "task=jsonl",
            "task.path=\"" + data + "\"",
            "sft.steps=30",
            "sft.learning_rate=1e-2",
            "preference.prompts=32",
            "preference.samples_per_prompt=8",
            "preference.pairing=frequency",
            "preference.batch_pairs=8",
            "preference.eval_pairs=4");
    String log = Files.readString(run.resolve("train.log"));
    int prompts = promptsWithBothVerdicts(log);
    try (RootAllocator alloc = new RootAllocator();
        PreferenceBatch pairs =
            PreferenceBatch.readFile(alloc, run.resolve("preference/pairs.arrow"))) {
      assertEquals(prompts, pairs.size(), "exactly one pair per prompt with both verdicts");
    }
  }
}
