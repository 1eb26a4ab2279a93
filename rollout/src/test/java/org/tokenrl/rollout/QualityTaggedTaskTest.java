package org.tokenrl.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.File;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.tokenrl.core.ConfigException;
import org.tokenrl.core.ConfigReader;

class QualityTaggedTaskTest {
  private static final String TAGS = "quality_tags = true";

  private static List<Task> taggedTasks(String extra) {
    return List.of(
        ArithTaskTest.arith(TAGS + extra),
        LetterTasksTest.task("reverse", TAGS + extra),
        LetterTasksTest.task("sort", TAGS + extra));
  }

  @Test
  void trainAndHeldOutCarryTheGoodTagAndKeepIds() {
    for (Task tagged : taggedTasks("")) {
      Task plain = ((QualityTaggedTask) tagged).inner();
      assertTrue(tagged.qualityTags());
      for (List<List<Example>> splits :
          List.of(
              List.of(tagged.train(), plain.train()), List.of(tagged.heldOut(), plain.heldOut()))) {
        List<Example> t = splits.get(0);
        List<Example> p = splits.get(1);
        assertEquals(p.size(), t.size());
        for (int i = 0; i < t.size(); i++) {
          assertEquals(p.get(i).id(), t.get(i).id());
          assertEquals("good:" + p.get(i).prompt(), t.get(i).prompt());
          assertEquals(p.get(i).answer(), t.get(i).answer());
          assertTrue(tagged.isCorrect(t.get(i), " " + t.get(i).answer()));
          assertFalse(tagged.isCorrect(t.get(i), t.get(i).answer() + "x"));
        }
      }
    }
  }

  @Test
  void sftExamplesTeachBothTagsWithWrongBadAnswers() {
    for (Task tagged : taggedTasks("")) {
      List<Example> train = tagged.train();
      List<Example> sft = tagged.sftExamples();
      assertEquals(2 * train.size(), sft.size(), tagged.name());
      assertEquals(train, sft.subList(0, train.size()));
      Set<Integer> ids = new HashSet<>();
      for (List<Example> split : List.of(sft, tagged.heldOut())) {
        split.forEach(e -> ids.add(e.id()));
      }
      assertEquals(sft.size() + tagged.heldOut().size(), ids.size(), "ids must be unique");
      int changedLength = 0;
      for (int k = 0; k < train.size(); k++) {
        Example good = train.get(k);
        Example bad = sft.get(train.size() + k);
        String prompt = good.prompt().substring("good:".length());
        assertEquals("bad:" + prompt, bad.prompt());
        // The verifier rejects every corrupted answer, on the tagged and on the inner example.
        assertFalse(tagged.isCorrect(good, bad.answer()), tagged.name() + " " + bad);
        Example inner = ((QualityTaggedTask) tagged).inner().train().get(k);
        assertFalse(((QualityTaggedTask) tagged).inner().isCorrect(inner, bad.answer()));
        // A bad SFT row is judged against its own (wrong) target.
        assertTrue(tagged.isCorrect(bad, bad.answer()));
        if (bad.answer().length() != good.answer().length()) {
          changedLength++;
        }
      }
      if (!tagged.name().equals("arith")) {
        assertEquals(0, changedLength, "letter corruptions keep the length");
      }
    }
  }

  @Test
  void arithCorruptionsAreNearMisses() {
    Task tagged = ArithTaskTest.arith(TAGS);
    List<Example> train = tagged.train();
    List<Example> sft = tagged.sftExamples();
    Set<Long> errors = new HashSet<>();
    for (int k = 0; k < train.size(); k++) {
      long right = Long.parseLong(train.get(k).answer());
      long wrong = Long.parseLong(sft.get(train.size() + k).answer());
      long error = Math.abs(wrong - right);
      assertTrue(error >= 1 && error <= ArithTask.MAX_ERROR, right + " vs " + wrong);
      errors.add(wrong - right);
    }
    assertEquals(2 * ArithTask.MAX_ERROR, errors.size(), "all offsets in ±1..10 should occur");
  }

  @Test
  void deterministicFromTaskSeed() {
    assertEquals(ArithTaskTest.arith(TAGS).sftExamples(), ArithTaskTest.arith(TAGS).sftExamples());
    Task reverse = LetterTasksTest.task("reverse", TAGS);
    assertEquals(reverse.sftExamples(), LetterTasksTest.task("reverse", TAGS).sftExamples());
    // Same inner task, another seed for the corruption: the good half is unchanged.
    QualityTaggedTask other =
        new QualityTaggedTask(
            ((QualityTaggedTask) reverse).inner(), new QualityTags("good:", "bad:"), 99);
    int n = reverse.train().size();
    assertEquals(reverse.sftExamples().subList(0, n), other.sftExamples().subList(0, n));
    assertNotEquals(reverse.sftExamples().subList(n, 2 * n), other.sftExamples().subList(n, 2 * n));
  }

  @Test
  void customTagsFromConfig() {
    Task task = ArithTaskTest.arith(TAGS + ", good_tag = \"A \", bad_tag = \"B \"");
    assertTrue(task.train().get(0).prompt().startsWith("A "));
    assertTrue(task.sftExamples().get(task.train().size()).prompt().startsWith("B "));
    assertEquals(new QualityTags("A ", "B "), ((QualityTaggedTask) task).tags());
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> ArithTaskTest.arith(TAGS + ", good_tag = \"q\", bad_tag = \"q!\""));
    assertTrue(e.getMessage().contains("task.good_tag"), e.getMessage());
  }

  @Test
  void shippedConfigDefaultsGiveGoodAndBadTags() {
    Config task =
        ConfigFactory.parseString("name = arith, quality_tags = true")
            .withFallback(ConfigFactory.parseFile(new File("../configs/task/arith.conf")))
            .withFallback(
                ConfigFactory.parseFile(new File("../configs/base.conf")).getConfig("task"));
    QualityTaggedTask tagged = (QualityTaggedTask) Tasks.create(task, Path.of("."));
    assertEquals(new QualityTags("good:", "bad:"), tagged.tags());
    assertEquals(
        tagged.tags(),
        QualityTags.read(
            new ConfigReader(
                ConfigFactory.parseFile(new File("../configs/base.conf")).getConfig("task"),
                "task")));
  }

  @Test
  void qualityTagsFalseLeavesTheTaskUnchanged() {
    Task plain = ArithTaskTest.arith("quality_tags = false");
    assertFalse(plain instanceof QualityTaggedTask);
    assertInstanceOf(ArithTask.class, plain);
    assertEquals(plain.train(), plain.sftExamples());
    assertEquals(ArithTaskTest.arith("").train(), plain.train());
    assertFalse(plain.train().get(0).prompt().contains("good:"));
  }

  @Test
  void templatesAndStrip() {
    QualityTags tags = new QualityTags("good:", "bad:");
    assertEquals("good:47+38=", QualityTags.apply(tags.goodTemplate(), "47+38="));
    assertEquals("bad:47+38=", QualityTags.apply(tags.badTemplate(), "47+38="));
    assertEquals(
        "Write a better answer. 1+1= (1+1=)",
        QualityTags.apply("Write a better answer. {prompt} ({prompt})", "1+1="));
    assertThrows(IllegalArgumentException.class, () -> QualityTags.apply("good:", "1+1="));
    assertEquals("1+1=", tags.strip("good:1+1="));
    assertEquals("1+1=", tags.strip("bad:1+1="));
    assertEquals("1+1=", tags.strip("1+1="));
    assertThrows(IllegalArgumentException.class, () -> new QualityTags("", "bad:"));
    assertThrows(IllegalArgumentException.class, () -> new QualityTags("x", "x"));
    assertThrows(IllegalArgumentException.class, () -> new QualityTags("g\n", "b"));
  }

  @Test
  void genericCorruptionCoversLettersDigitsAndGivesUpClearly() {
    Task task = LetterTasksTest.task("reverse", "");
    Random random = new Random(5);
    for (String answer : List.of("aaaa", "z", "ab", "0", "Q9", "a b")) {
      Example example = new Example(0, "p", answer);
      for (int i = 0; i < 50; i++) {
        String wrong = task.corruptAnswer(example, random);
        assertFalse(task.isCorrect(example, wrong), answer + " -> " + wrong);
        assertEquals(answer.length(), wrong.length());
      }
    }
    Task acceptsAll =
        new StubTask() {
          @Override
          public boolean isCorrect(Example example, String response) {
            return true;
          }
        };
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> acceptsAll.corruptAnswer(new Example(3, "p", "abc"), new Random(1)));
    assertTrue(
        e.getMessage().contains("example 3") && e.getMessage().contains("100 tries"),
        e.getMessage());
    assertThrows(
        IllegalStateException.class,
        () -> task.corruptAnswer(new Example(4, "p", ""), new Random(1)));
  }

  /** A minimal task for verifier edge cases. */
  private abstract static class StubTask implements Task {
    @Override
    public String name() {
      return "stub";
    }

    @Override
    public List<Example> train() {
      return List.of();
    }

    @Override
    public List<Example> heldOut() {
      return List.of();
    }

    @Override
    public String description() {
      return "stub";
    }

    @Override
    public boolean qualityTags() {
      return false;
    }
  }
}
