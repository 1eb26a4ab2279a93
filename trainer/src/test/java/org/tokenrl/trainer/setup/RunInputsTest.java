package org.tokenrl.trainer.setup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.ConfigException;

/**
 * A run's recorded inputs (config values, digests of the files it names) and the changes a resume
 * must not make silently: config values outside the resumable keys, replaced or missing files.
 */
class RunInputsTest {
  @TempDir Path tmp;

  private Config config(String data, double lr, int steps) {
    return ConfigFactory.parseString(
            "trainer { learning_rate = "
                + lr
                + ", steps = "
                + steps
                + ", eval_every = 5 }\n"
                + "task { name = jsonl, path = \""
                + data
                + "\" }\n"
                + "rewards = [{name = task, weight = 1.0}]\n"
                + "plugins = []\n")
        .resolve();
  }

  @Test
  void theRecordHoldsEveryValueAndTheSha256OfEachInputFile() throws Exception {
    Path data =
        Files.writeString(tmp.resolve("train.jsonl"), "{\"prompt\": \"a\", \"answer\": \"b\"}\n");
    RunInputs inputs = RunInputs.of(config("train.jsonl", 0.001, 10), tmp);
    inputs.write(tmp);
    RunInputs read = RunInputs.read(tmp);
    assertEquals(inputs, read);
    assertEquals("0.001", read.config().get("trainer.learning_rate"));
    assertEquals("1", read.config().get("rewards[0].weight")); // numbers by value
    String sha =
        HexFormat.of()
            .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(data)));
    assertEquals(sha, read.files().get("task.path").sha256());
    assertNull(RunInputs.read(tmp.resolve("nowhere")));
  }

  @Test
  void changedValuesAndFilesAreNamedResumableKeysAreNot() throws Exception {
    Path data =
        Files.writeString(tmp.resolve("train.jsonl"), "{\"prompt\": \"a\", \"answer\": \"b\"}\n");
    RunInputs start = RunInputs.of(config("train.jsonl", 0.001, 10), tmp);

    // Extending the run is what resume is for.
    assertEquals(
        List.of(),
        RunInputs.of(config("train.jsonl", 0.001, 20), tmp).changesSince(start, Set.of()));

    Files.writeString(data, "{\"prompt\": \"a\", \"answer\": \"c\"}\n");
    RunInputs now = RunInputs.of(config("train.jsonl", 0.9, 20), tmp);
    List<RunInputs.Change> changes = now.changesSince(start, Set.of());
    assertEquals(
        List.of("trainer.learning_rate", "task.path"),
        changes.stream().map(RunInputs.Change::key).toList());
    assertTrue(changes.get(0).what().equals("0.001 -> 0.9"), changes.get(0).what());
    assertTrue(
        changes.get(1).what().contains("train.jsonl changed (sha256 "), changes.get(1).what());

    ConfigException e = assertThrows(ConfigException.class, () -> RunInputs.refuse(tmp, changes));
    assertTrue(
        e.getMessage().contains("--allow-changed trainer.learning_rate,task.path"), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), e.getMessage());

    assertEquals(
        List.of("task.path"),
        now.changesSince(start, Set.of("trainer.learning_rate")).stream()
            .map(RunInputs.Change::key)
            .toList());
    assertEquals(List.of(), now.changesSince(start, Set.of("all")));
    RunInputs.refuse(tmp, List.of()); // nothing changed: no refusal

    Files.delete(data);
    List<RunInputs.Change> gone =
        RunInputs.of(config("train.jsonl", 0.001, 10), tmp).changesSince(start, Set.of());
    assertEquals("task.path", gone.get(0).key());
    assertTrue(gone.get(0).what().endsWith("is gone"), gone.get(0).what());
  }
}
