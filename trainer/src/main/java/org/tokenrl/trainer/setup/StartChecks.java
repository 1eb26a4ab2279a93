package org.tokenrl.trainer.setup;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.tokenrl.algorithms.AlgorithmKind;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.core.ConfigException;
import org.tokenrl.rewards.CompositeReward;
import org.tokenrl.rollout.Example;
import org.tokenrl.rollout.PreferenceJsonl;
import org.tokenrl.rollout.PreferenceText;
import org.tokenrl.rollout.RolloutPools;
import org.tokenrl.rollout.Task;
import org.tokenrl.rollout.Tasks;

/**
 * Everything about a run's settings and data that can be checked before any work: value ranges, the
 * task and its data files (every example against the model's context), the algorithm, the reward
 * definitions and a preference data file. The CLI runs these before it creates the run directory,
 * so a bad input costs one line and leaves nothing behind; the run repeats them, so a resumed run
 * or a test gets the same checks.
 */
public final class StartChecks {
  private StartChecks() {}

  /** Runs every check; returns the task, already built. */
  public static Task run(Config c, Path projectRoot) {
    ConfigRanges.check(c);
    Task task = Tasks.create(c.getConfig("task"), projectRoot);
    AlgorithmKind kind = Algorithms.kind(c.getString("algorithm.name"));
    Config algorithm = c.getConfig("algorithm");
    switch (kind) {
      case RL -> {
        Algorithms.create(algorithm);
        if (c.getList("rewards").isEmpty()) {
          throw new ConfigException(
              "config error: rewards is empty; an RL run needs at least one, e.g."
                  + " rewards=[{name=task, weight=1.0}]");
        }
        CompositeReward.fromConfig(c); // regexes compile, classes load, options parse
      }
      case PREFERENCE -> {
        Algorithms.createPreference(algorithm);
        if (c.getString("preference.source").equals("jsonl")) {
          checkPreferenceFile(c, projectRoot);
        }
      }
      case SUPERVISED -> Algorithms.createSupervised(algorithm);
    }
    checkLengths(c, task);
    checkConversations(c, task);
    RolloutPools.checkAvailable(c.getString("distributed.backend"));
    String initFrom = c.getString("run.init_from");
    if (!initFrom.isBlank() && !Files.isDirectory(projectRoot.resolve(initFrom))) {
      throw new ConfigException(
          "config error: run.init_from = "
              + initFrom
              + " is neither a checkpoint nor a run"
              + " directory (looked for "
              + projectRoot.resolve(initFrom).toAbsolutePath()
              + ")");
    }
    return task;
  }

  /** A JSONL conversation ("messages") is rendered by the chat template: it needs task.chat. */
  static void checkConversations(Config c, Task task) {
    if (c.getBoolean("task.chat")) {
      return;
    }
    for (List<org.tokenrl.rollout.Example> split : List.of(task.train(), task.heldOut())) {
      for (org.tokenrl.rollout.Example ex : split) {
        if (!ex.messages().isEmpty()) {
          String where = task.origin(ex);
          throw new ConfigException(
              (where != null ? where + ": " : "")
                  + "a \"messages\" conversation needs task.chat = true (and model.path, a"
                  + " pretrained model with a chat template)");
        }
      }
    }
  }

  /**
   * Every example must fit the model's learned positions: teacher forcing sees BOS + prompt +
   * answer + EOS (one position less, the last token being only a target), sampling sees BOS +
   * prompt + the response limit.
   */
  public static void checkLengths(Config c, Task task) {
    String key = contextKey(c);
    int context = c.getInt(key);
    int maxNew = MaxNewTokens.of(c, task);
    for (Example ex : task.sftExamples()) {
      int needed = ex.prompt().length() + ex.answer().length() + 1;
      if (needed > context) {
        throw tooLong(task, ex, needed + " positions for prompt and answer", key, context);
      }
    }
    for (List<Example> split : List.of(task.train(), task.heldOut())) {
      for (Example ex : split) {
        int needed = ex.prompt().length() + maxNew;
        if (needed > context) {
          throw tooLong(
              task,
              ex,
              needed
                  + " positions for the prompt and "
                  + maxNew
                  + " new tokens"
                  + (c.getInt("rollout.max_new_tokens") > 0
                      ? " (rollout.max_new_tokens)"
                      : " (the longest answer + 3)"),
              key,
              context);
        }
      }
    }
  }

  /** The key holding the longest sequence a pass may see: it differs between architectures. */
  static String contextKey(Config c) {
    // A model.path model is a llama-family model whatever model.arch says.
    boolean llama =
        !c.getString("model.path").isBlank() || c.getString("model.arch").equals("llama");
    return llama ? "model.max_position_embeddings" : "model.max_seq_len";
  }

  private static ConfigException tooLong(
      Task task, Example ex, String needs, String key, int context) {
    String where = task.origin(ex);
    return new ConfigException(
        (where != null
                ? where + ": "
                : "task " + task.name() + ", prompt '" + shorten(ex.prompt()) + "': ")
            + "needs "
            + needs
            + " but "
            + key
            + " = "
            + context
            + " (shorten the example or raise "
            + key
            + ")");
  }

  private static String shorten(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }

  /** The pairs file parses and at least one pair fits the model (longer ones are dropped). */
  private static void checkPreferenceFile(Config c, Path projectRoot) {
    String file = c.getString("preference.path");
    if (file.isBlank()) {
      throw new ConfigException(
          "config error: preference.source = jsonl needs preference.path (a file of {\"prompt\","
              + " \"chosen\", \"rejected\"} lines)");
    }
    List<PreferenceText> pairs = PreferenceJsonl.read(projectRoot.resolve(file));
    String key = contextKey(c);
    int context = c.getInt(key);
    boolean anyFits = false;
    for (PreferenceText p : pairs) {
      // BOS + prompt, then the longer response + EOS; the last token is only a target.
      anyFits |=
          p.prompt().length() + Math.max(p.chosen().length(), p.rejected().length()) + 1 <= context;
    }
    if (!anyFits) {
      throw new ConfigException(
          file
              + ": none of its "
              + pairs.size()
              + " pairs fits "
              + key
              + " = "
              + context
              + " (shorten them or raise "
              + key
              + ")");
    }
  }
}
