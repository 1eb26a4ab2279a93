package org.tokenrl.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tokenrl.core.CharTokenizer;
import org.tokenrl.core.ConfigException;

class TasksTest {
  @Test
  void registryListsBuiltIns() {
    assertEquals(List.of("arith", "dataset", "jsonl", "reverse", "sort"), Tasks.names());
  }

  @Test
  void unknownNameListsKnownTasks() {
    String message =
        assertThrows(
                ConfigException.class,
                () -> Tasks.create(ConfigFactory.parseString("name = gsm8k"), Path.of(".")))
            .getMessage();
    assertEquals(
        "config error: unknown task 'gsm8k' in 'task.name' (known tasks: arith, dataset, jsonl,"
            + " reverse, sort; a custom task file can set type = jsonl)",
        message);
  }

  @Test
  void typeChoosesTheImplementationForCustomTaskFiles() {
    Task task =
        Tasks.create(
            ConfigFactory.parseString(
                "name = my_data, type = jsonl, path = tiny.jsonl, eval_fraction = 0.1, seed = 0"),
            Path.of("src/test/resources"));
    assertEquals("jsonl", task.name());
    assertFalse(task.train().isEmpty());
  }

  @Test
  void qualityTagsFlagDefaultsToFalse() {
    assertFalse(ArithTaskTest.arith("").qualityTags());
    assertTrue(ArithTaskTest.arith("quality_tags = true").qualityTags());
  }

  @Test
  void builtInExamplesEncodeWithTheCharTokenizer() {
    CharTokenizer tokenizer = CharTokenizer.ascii();
    List<Task> tasks =
        List.of(
            ArithTaskTest.arith(""),
            LetterTasksTest.task("reverse", ""),
            LetterTasksTest.task("sort", ""));
    for (Task task : tasks) {
      assertFalse(task.description().isBlank());
      for (Example example : task.train()) {
        assertEquals(example.prompt(), tokenizer.decode(tokenizer.encode(example.prompt())));
        assertEquals(example.answer(), tokenizer.decode(tokenizer.encode(example.answer())));
      }
    }
  }

  /**
   * The character tokenizer's alphabet is checked where the tokenizer is known (JSONL files, the
   * run's start); an example itself holds any text a real tokenizer reads, line breaks included,
   * but no other control characters.
   */
  @Test
  void examplesRejectControlCharactersButKeepLineBreaksAndUnicode() {
    assertThrows(IllegalArgumentException.class, () -> new Example(0, "a\u0001b", "c"));
    assertThrows(IllegalArgumentException.class, () -> new Example(0, "a", "\u0000"));
    assertEquals("a\nb \u00e9", new Example(0, "a\nb \u00e9", "c").prompt());
  }
}
