package org.tokenrl.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.ConfigException;

class JsonlTaskTest {
  private static final Path RESOURCES = Path.of("src/test/resources");
  @TempDir Path dir;

  private static Task jsonl(Path root, String settings) {
    return Tasks.create(ConfigFactory.parseString("name = jsonl, seed = 5, " + settings), root);
  }

  private String error(String fileText) throws IOException {
    Files.createDirectories(dir.resolve("data"));
    Files.writeString(dir.resolve("data/train.jsonl"), fileText);
    return assertThrows(
            ConfigException.class, () -> jsonl(dir, "path = data/train.jsonl, eval_fraction = 0.2"))
        .getMessage();
  }

  @Test
  void readsPromptsAndAnswersIgnoringExtraFieldsAndBlankLines() {
    Task task = jsonl(RESOURCES, "path = tiny.jsonl, eval_fraction = 0.2");
    List<Example> all = new java.util.ArrayList<>(task.train());
    all.addAll(task.heldOut());
    assertEquals(10, all.size());
    assertEquals(2, task.heldOut().size());
    Set<String> prompts = all.stream().map(Example::prompt).collect(Collectors.toSet());
    assertTrue(prompts.contains("capital of France?"));
    assertTrue(prompts.contains("{\"nested\": \"json\"} has how many keys?"));
    Example paris =
        all.stream().filter(e -> e.prompt().startsWith("capital")).findFirst().orElseThrow();
    assertEquals("Paris", paris.answer());
    assertTrue(task.isCorrect(paris, " Paris\n"));
    assertFalse(task.isCorrect(paris, "paris"));
  }

  @Test
  void readsConversationsAndJudgesByTheChosenMatch() throws IOException {
    Files.createDirectories(dir.resolve("data"));
    Files.writeString(
        dir.resolve("data/chat.jsonl"),
        "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
            + " {\"role\": \"user\", \"content\": \"What is 2 + 2?\"}], \"answer\": \"4\"}\n"
            + "{\"prompt\": \"What is 3 + 3?\", \"answer\": \"6\"}\n"
            + "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"},"
            + " {\"role\": \"assistant\", \"content\": \"Hello!\"},"
            + " {\"role\": \"user\", \"content\": \"What is 5 + 5?\"}], \"answer\": \"10\"}\n");
    Files.writeString(
        dir.resolve("data/train.jsonl"), "{\"prompt\": \"What is 1 + 1?\", \"answer\": \"2\"}\n");
    Task task =
        jsonl(dir, "path = data/train.jsonl, eval_path = data/chat.jsonl, match = last_number");
    Example first = task.heldOut().get(0);
    assertEquals("What is 2 + 2?", first.prompt());
    assertEquals(
        List.of(
            new Example.Turn("system", "Be brief."), new Example.Turn("user", "What is 2 + 2?")),
        first.messages());
    assertTrue(task.heldOut().get(1).messages().isEmpty());
    assertEquals(3, task.heldOut().get(2).messages().size());
    assertTrue(task.isCorrect(first, "2 + 2 = 4."));
    assertTrue(task.isCorrect(first, "The answer is 4.0"));
    assertFalse(task.isCorrect(first, "4 or maybe 5"));
    assertEquals("4", task.answerOf(first, "The answer is 4.0"), "4 and 4.0 vote together");
    assertEquals("4", task.answerOf(first, "2 + 2 = 4."));
    assertEquals("40", task.answerOf(first, "40"));
    assertEquals(null, task.answerOf(first, "no idea"));
    Task contains =
        jsonl(dir, "path = data/train.jsonl, eval_path = data/chat.jsonl, match = contains");
    assertTrue(contains.isCorrect(first, "It is 4, of course"));
    assertTrue(
        assertThrows(
                ConfigException.class,
                () ->
                    jsonl(
                        dir, "path = data/train.jsonl, eval_path = data/chat.jsonl, match = fuzzy"))
            .getMessage()
            .contains("match"));
  }

  @Test
  void badConversationsNameTheLine() throws IOException {
    String lastNotUser =
        error(
            "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"},"
                + " {\"role\": \"assistant\", \"content\": \"Hello\"}], \"answer\": \"x\"}\n");
    assertTrue(
        lastNotUser.contains("data/train.jsonl:1") && lastNotUser.contains("last message"),
        lastNotUser);
    String badRole =
        error(
            "{\"prompt\": \"a\", \"answer\": \"b\"}\n"
                + "{\"messages\": [{\"role\": \"robot\", \"content\": \"Hi\"}], \"answer\":"
                + " \"x\"}\n");
    assertTrue(badRole.contains("data/train.jsonl:2") && badRole.contains("role"), badRole);
  }

  @Test
  void fractionSplitIsSeededAndDisjoint() {
    Task a = jsonl(RESOURCES, "path = tiny.jsonl, eval_fraction = 0.3");
    Task b = jsonl(RESOURCES, "path = tiny.jsonl, eval_fraction = 0.3");
    assertEquals(a.heldOut(), b.heldOut());
    assertEquals(a.train(), b.train());
    Set<String> heldOut = a.heldOut().stream().map(Example::prompt).collect(Collectors.toSet());
    assertEquals(3, heldOut.size());
    a.train().forEach(e -> assertFalse(heldOut.contains(e.prompt())));
    Set<List<Example>> splits = new HashSet<>();
    for (int seed = 0; seed < 5; seed++) {
      splits.add(
          Tasks.create(
                  ConfigFactory.parseString(
                      "name = jsonl, path = tiny.jsonl, eval_fraction = 0.3, seed = " + seed),
                  RESOURCES)
              .heldOut());
    }
    assertTrue(splits.size() > 1, "the seed picks the held-out lines");
  }

  @Test
  void separateEvalFileDropsTrainDuplicates() throws IOException {
    Files.writeString(
        dir.resolve("train.jsonl"),
        "{\"prompt\": \"a\", \"answer\": \"1\"}\n{\"prompt\": \"b\", \"answer\": \"2\"}\n");
    Files.writeString(dir.resolve("eval.jsonl"), "{\"prompt\": \"b\", \"answer\": \"2\"}\n");
    Task task = jsonl(dir, "path = train.jsonl, eval_path = eval.jsonl");
    assertEquals(List.of("a"), task.train().stream().map(Example::prompt).toList());
    assertEquals(List.of("b"), task.heldOut().stream().map(Example::prompt).toList());
  }

  @Test
  void malformedLinesNameFileAndLine() throws IOException {
    String good = "{\"prompt\": \"a\", \"answer\": \"1\"}\n";
    assertEquals(
        "data/train.jsonl:3: missing \"answer\"", error(good + good + "{\"prompt\": \"c\"}\n"));
    assertEquals("data/train.jsonl:2: missing \"prompt\"", error(good + "{\"answer\": \"1\"}\n"));
    assertEquals(
        "data/train.jsonl:2: \"answer\" must be a string, got number 85",
        error(good + "{\"prompt\": \"x\", \"answer\": 85}\n"));
    assertTrue(
        error(good + "\n{\"prompt\": \"x\", \"answer\": \"1\"\n")
            .startsWith("data/train.jsonl:3: not valid JSON: "));
    assertEquals(
        "data/train.jsonl:1: expected a JSON object like {\"prompt\": ...,"
            + " \"answer\": ...} or {\"messages\": [...], \"answer\": ...}, got array",
        error("[1, 2]\n"));
    assertTrue(
        error("{\"prompt\": \"caf\u00e9\", \"answer\": \"1\"}\n")
            .startsWith("data/train.jsonl:1: \"prompt\" contains character U+00E9 at position 3"));
  }

  @Test
  void trailingGarbageDuplicateKeysAndNonTextNameFileLineAndCause() throws IOException {
    String good = "{\"prompt\": \"a\", \"answer\": \"1\"}\n";
    assertTrue(
        error(good + "{\"prompt\": \"b\", \"answer\": \"2\"} trailing\n")
            .startsWith("data/train.jsonl:2: not valid JSON: "));
    assertTrue(
        error(good + good + "{\"prompt\": \"b\", \"answer\": \"2\"}{\"prompt\": \"c\"}\n")
            .startsWith("data/train.jsonl:3: not valid JSON: "));
    String dup = error(good + "{\"prompt\": \"b\", \"answer\": \"2\", \"answer\": \"3\"}\n");
    assertTrue(dup.startsWith("data/train.jsonl:2: not valid JSON: "), dup);
    assertTrue(dup.contains("answer"), dup);
    assertEquals(
        "data/train.jsonl:2: not valid UTF-8 (byte 0xff at byte 13 of the line)",
        errorBytes(
            (good + "{\"prompt\": \"").getBytes(), new byte[] {(byte) 0xff}, "\"}\n".getBytes()));
    assertEquals(
        "data/train.jsonl:1: binary data, not JSON Lines text (a NUL byte at column 3)",
        errorBytes(new byte[] {'P', 'K', 0, 3}, new byte[0], new byte[0]));
  }

  private String errorBytes(byte[]... parts) throws IOException {
    Files.createDirectories(dir.resolve("data"));
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    for (byte[] p : parts) {
      b.write(p);
    }
    Files.write(dir.resolve("data/train.jsonl"), b.toByteArray());
    return assertThrows(
            ConfigException.class, () -> jsonl(dir, "path = data/train.jsonl, eval_fraction = 0.2"))
        .getMessage();
  }

  @Test
  void heldOutMustBeConfiguredOnce() {
    assertTrue(
        assertThrows(ConfigException.class, () -> jsonl(RESOURCES, "path = tiny.jsonl"))
            .getMessage()
            .startsWith("config error: set exactly one of 'task.eval_fraction'"));
    assertTrue(
        assertThrows(
                ConfigException.class,
                () ->
                    jsonl(
                        RESOURCES,
                        "path = tiny.jsonl, eval_fraction = 0.1, eval_path = tiny.jsonl"))
            .getMessage()
            .endsWith(", not both"));
  }

  @Test
  void missingFileNamesTheKey() {
    assertTrue(
        assertThrows(
                ConfigException.class,
                () -> jsonl(RESOURCES, "path = nope.jsonl, eval_fraction = 0.1"))
            .getMessage()
            .startsWith("config error: 'task.path' = nope.jsonl not found"));
  }
}
