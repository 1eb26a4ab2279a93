package org.tokenrl.rewards;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Lookup by built-in name, ServiceLoader provider and class name, and the unknown-name message. */
class RewardRegistryTest {

  private static Config config(String text) {
    return ConfigFactory.parseString(text);
  }

  @Test
  void builtInsAreFoundByShortName() {
    assertInstanceOf(TaskReward.class, RewardRegistry.create(config("name = task")));
    assertInstanceOf(
        LengthPenaltyReward.class, RewardRegistry.create(config("name = length_penalty")));
  }

  @Test
  void userClassWithNoArgConstructorIsLoadedByName() {
    RewardFunction f =
        RewardRegistry.create(config("name = org.tokenrl.rewards.ResponseLengthReward"));
    assertInstanceOf(ResponseLengthReward.class, f);
    assertArrayEquals(new double[] {2, 5}, f.score(Batches.responses("ab", "abcde")).scores());
    assertEquals("response_length_reward", f.name());
  }

  @Test
  void userClassWithConfigConstructorGetsItsEntry() {
    RewardFunction f =
        RewardRegistry.create(
            config("name = com.example.KeywordReward, keywords = [cat, dog], bonus = 4"));
    RewardInput input = Batches.responses("Cat and dog", "a dog", "none");
    assertArrayEquals(new double[] {4, 2, 0}, f.score(input).scores());
  }

  @Test
  void classNamedComponentsUseTheClassNameInMetrics() {
    RewardResult r =
        CompositeReward.fromConfig(
                config(
                    "rewards = [{name = org.tokenrl.rewards.ResponseLengthReward, weight = 0.5}]"))
            .score(Batches.responses("abcd"));
    assertEquals(4.0, r.metrics().get("reward/response_length_reward_mean"));
    assertEquals(2.0, r.total()[0]);
  }

  @Test
  void constructorFailureNamesTheClass() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RewardRegistry.create(config("name = com.example.KeywordReward, keywords = []")));
    String m = e.getMessage();
    assertTrue(m.contains("com.example.KeywordReward failed to construct"), m);
    assertTrue(m.contains("must not be empty"), m);
  }

  @Test
  void serviceLoaderProviderIsFoundByItsName() {
    RewardFunction f = RewardRegistry.create(config("name = constant, value = 0.25"));
    assertArrayEquals(new double[] {0.25, 0.25}, f.score(Batches.responses("a", "b")).scores());
  }

  @Test
  void unknownNameListsBuiltInsProvidersAndHowToAddAClass() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> RewardRegistry.create(config("name = bleuu")));
    String m = e.getMessage();
    assertTrue(m.contains("unknown reward 'bleuu'"), m);
    for (String name : RewardRegistry.builtInNames()) {
      assertTrue(m.contains(name), m);
    }
    assertTrue(m.contains("constant"), m);
    assertTrue(m.contains(RewardFunction.class.getName()), m);
    assertTrue(m.contains("fully-qualified name"), m);
  }

  @Test
  void missingClassSaysItIsNotOnTheClasspath() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RewardRegistry.create(config("name = com.example.NoSuchReward")));
    String m = e.getMessage();
    assertTrue(m.contains("com.example.NoSuchReward is not on the classpath"), m);
  }

  /** Not a reward function, and a reward without a usable constructor. */
  public static final class NotAReward {}

  /** A reward that cannot be built from config. */
  public static final class NeedsAnInt implements RewardFunction {
    public NeedsAnInt(int unused) {}

    @Override
    public RewardScores score(RewardInput input) {
      return RewardScores.of(new double[input.size()]);
    }
  }

  @Test
  void classesThatCannotBeRewardsAreExplained() {
    String prefix = "name = \"org.tokenrl.rewards.RewardRegistryTest$";
    IllegalArgumentException notReward =
        assertThrows(
            IllegalArgumentException.class,
            () -> RewardRegistry.create(config(prefix + "NotAReward\"")));
    assertTrue(notReward.getMessage().contains("does not implement"), notReward.getMessage());
    IllegalArgumentException noConstructor =
        assertThrows(
            IllegalArgumentException.class,
            () -> RewardRegistry.create(config(prefix + "NeedsAnInt\"")));
    assertTrue(
        noConstructor.getMessage().contains("needs a public constructor"),
        noConstructor.getMessage());
  }

  @Test
  void entryWithoutNameIsRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> RewardRegistry.create(config("weight = 1")));
    assertTrue(e.getMessage().contains("no name"), e.getMessage());
  }

  @Test
  void configuredWeightsDefaultToOne() {
    String rewards = "rewards = [{name = task}, {name = regex, pattern = a, weight = 0.2}]";
    List<CompositeReward.Component> components =
        CompositeReward.fromConfig(config(rewards)).components();
    assertEquals(1.0, components.get(0).weight());
    assertEquals(0.2, components.get(1).weight());
  }
}
