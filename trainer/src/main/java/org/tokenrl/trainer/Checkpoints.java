package org.tokenrl.trainer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.tokenrl.model.Checkpoint;
import org.tokenrl.model.Policy;

/** Checkpoint I/O for the training loop, where a failed save or load ends the run with its cause. */
final class Checkpoints {
  private Checkpoints() {}

  static void save(Path dir, Policy policy, String tokenizerJson, String trainerStateJson) {
    try {
      Checkpoint.save(dir, policy, tokenizerJson, trainerStateJson);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write checkpoint " + dir + ": " + e.getMessage(), e);
    }
  }

  static Checkpoint.Loaded load(Path dir) {
    try {
      return Checkpoint.load(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load checkpoint " + dir + ": " + e.getMessage(), e);
    }
  }
}
