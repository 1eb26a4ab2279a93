package org.tokenrl.trainer.loop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.tokenrl.model.Policy;
import org.tokenrl.model.io.Checkpoint;

/**
 * Checkpoint I/O for the training loop, where a failed save or load ends the run with its cause.
 */
public final class Checkpoints {
  private Checkpoints() {}

  static void save(Path dir, Policy policy, String tokenizerJson, String trainerStateJson) {
    try {
      Checkpoint.save(dir, policy, tokenizerJson, trainerStateJson);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write checkpoint " + dir + ": " + e.getMessage(), e);
    }
  }

  public static Checkpoint.Loaded load(Path dir) {
    try {
      return Checkpoint.load(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load checkpoint " + dir + ": " + e.getMessage(), e);
    }
  }
}
