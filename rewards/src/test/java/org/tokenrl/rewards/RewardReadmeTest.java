package org.tokenrl.rewards;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The user-reward example in rewards/README.md is examples/keyword-reward's KeywordReward, and the
 * README's config for it loads that class by name and scores as documented.
 */
class RewardReadmeTest {
  private static final Path MODULE = Path.of(System.getProperty("basedir", "."));

  private static String readme() throws IOException {
    return Files.readString(MODULE.resolve("README.md"));
  }

  /** The fenced block of {@code language} that starts with {@code firstLine}. */
  private static String block(String markdown, String language, String firstLine) {
    String open = "```" + language + "\n" + firstLine;
    int start = markdown.indexOf(open);
    assertTrue(start >= 0, "README has no ```" + language + " block starting with " + firstLine);
    start += language.length() + 4;
    return markdown.substring(start, markdown.indexOf("\n```", start) + 1);
  }

  @Test
  void readmeExampleIsTheFixtureClass() throws IOException {
    String fixture =
        Files.readString(
            MODULE.resolve("../examples/keyword-reward/src/com/example/KeywordReward.java"));
    assertEquals(fixture, block(readme(), "java", "package com.example;"));
  }

  @Test
  void readmeConfigLoadsTheExampleByClassName() throws IOException {
    String hocon =
        block(readme(), "hocon", "rewards = [\n  { name = task, weight = 1.0 },\n  { name = com.");
    CompositeReward reward = CompositeReward.fromConfig(ConfigFactory.parseString(hocon));
    List<String> responses = List.of("4 because 2+2", "Because 2+2=4, therefore 4", "4");
    List<String> references = List.of("4", "4", "4");
    RewardResult r =
        reward.score(Batches.of(3, responses, references, (row, text) -> text.equals("4")));

    // bonus 2.0 × fraction of {because, therefore} present, case-insensitively.
    assertArrayEquals(new double[] {1.0, 2.0, 0.0}, r.components().get("keyword_reward"));
    assertArrayEquals(new double[] {0.0, 0.0, 1.0}, r.components().get("task"));
    assertArrayEquals(new double[] {0.2, 0.4, 1.0}, r.total(), 1e-12);
    assertEquals(1.0, r.metrics().get("reward/keyword_reward_mean"), 1e-12);
  }

  @Test
  void readmeOverviewConfigLoads() throws IOException {
    String hocon =
        block(readme(), "hocon", "rewards = [\n  { name = task, weight = 1.0 },\n  { name = exact");
    CompositeReward reward = CompositeReward.fromConfig(ConfigFactory.parseString(hocon));
    assertEquals(
        List.of("task", "exact_match", "keyword_reward"),
        reward.components().stream().map(CompositeReward.Component::name).toList());
    assertEquals(CompositeReward.OnError.STOP, reward.onError());
  }
}
