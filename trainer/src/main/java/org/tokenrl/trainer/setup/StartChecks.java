package org.tokenrl.trainer.setup;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.algorithms.preference.PreferenceAlgorithm;
import org.tokenrl.algorithms.rl.RlAlgorithm;
import org.tokenrl.algorithms.sft.SupervisedAlgorithm;
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
 * definitions and a preference data file. The checks are the build: {@link #run} returns what it
 * built and checked as a {@link RunStart}, which the CLI makes before it creates the run directory
 * (so a bad input costs one line and leaves nothing behind) and hands to the run. A resumed run, or
 * a test that gives the run a config, gets the same checks from the run itself.
 */
public final class StartChecks {
  private StartChecks() {}

  /**
   * Reads the config into a {@link RunSpec}, builds the task, the algorithm and (RL) the rewards,
   * and checks them together; returns them, built once, for the run.
   */
  public static RunStart run(Config c, Path projectRoot) {
    return run(c, projectRoot, System.err::println);
  }

  /**
   * The same, with {@code progress} told about a known model fetched into the cache on first use
   * (its header is read now: shape, tokenizer and chat template, no weights).
   */
  public static RunStart run(Config c, Path projectRoot, Consumer<String> progress) {
    RunSpec spec = RunSpec.from(c);
    Task task = Tasks.create(c.getConfig("task"), projectRoot);
    Config algorithm = c.getConfig("algorithm");
    RlAlgorithm rl = null;
    CompositeReward rewards = null;
    PreferenceAlgorithm preference = null;
    SupervisedAlgorithm supervised = null;
    switch (spec.kind()) {
      case RL -> {
        rl = Algorithms.create(algorithm);
        if (c.getList("rewards").isEmpty()) {
          throw new ConfigException(
              "config error: rewards is empty; an RL run needs at least one, e.g."
                  + " rewards=[{name=task, weight=1.0}]");
        }
        rewards = CompositeReward.fromConfig(c); // regexes compile, classes load, options parse
      }
      case PREFERENCE -> {
        preference = Algorithms.createPreference(algorithm);
        if (spec.preference().fromJsonl()) {
          checkPreferenceFile(spec, projectRoot);
        }
      }
      case SUPERVISED -> supervised = Algorithms.createSupervised(algorithm);
    }
    RunSpec.Model model = spec.model();
    if (!model.pretrained()) { // a pretrained model's lengths count in its tokens, below
      checkLengths(model.contextKey(), model.context(), spec.rollout().maxNewTokens(), task);
    }
    checkConversations(spec.chat().enabled(), task);
    checkCharAlphabet(c.getString("model.path").isBlank(), task);
    RolloutPools.checkAvailable(spec.distributed().backend());
    // The model as it will be built (a pretrained model's header, no weights): LoRA targets and
    // rank, prompts as the chat template renders them, and memory are checked against it.
    ModelHeader header = ModelHeader.of(spec, c, projectRoot, progress);
    LoraTargets.check(model.lora(), header.shape());
    int longestRow = PromptLengths.longestRow(spec, task, header);
    MemoryPreflight.check(
        memoryInputs(spec, c, header, rl, longestRow), MemoryPreflight.Limits.ofThisJvm());
    RolloutPools.check(c); // e.g. a Ray cluster's address, before the run directory exists
    MultiTurnChecks.check(c, spec, task); // rollout.env
    checkSftConversations(c, spec, projectRoot, header);
    String initFrom = spec.run().initFrom();
    if (!initFrom.isBlank() && !Files.isDirectory(projectRoot.resolve(initFrom))) {
      throw new ConfigException(
          "config error: run.init_from = "
              + initFrom
              + " is neither a checkpoint nor a run"
              + " directory (looked for "
              + projectRoot.resolve(initFrom).toAbsolutePath()
              + ")");
    }
    checkInitFrom(initFrom, projectRoot);
    return new RunStart(c, projectRoot, spec, task, rl, rewards, preference, supervised);
  }

  /**
   * Without model.path the run uses the character tokenizer, whose alphabet is printable ASCII; a
   * dataset's text (line breaks, Unicode) must fit it, or the run needs a model with its own
   * tokenizer.
   */
  static void checkCharAlphabet(boolean charTokenizer, Task task) {
    if (!charTokenizer) {
      return;
    }
    for (List<Example> split : List.of(task.train(), task.heldOut())) {
      for (Example ex : split) {
        List<String[]> texts = new java.util.ArrayList<>();
        texts.add(new String[] {"prompt", ex.prompt()});
        texts.add(new String[] {"answer", ex.answer()});
        ex.messages().forEach(t -> texts.add(new String[] {t.role() + " message", t.content()}));
        for (String[] text : texts) {
          for (int i = 0; i < text[1].length(); i++) {
            char ch = text[1].charAt(i);
            if (ch < ' ' || ch > '~') {
              String where = task.origin(ex);
              throw new ConfigException(
                  String.format(
                      "%sthe %s holds U+%04X at position %d, outside the character tokenizer's"
                          + " printable ASCII (model.path is empty); set model.path to a"
                          + " pretrained model, whose tokenizer reads any text",
                      where == null ? "" : where + ": ", text[0], (int) ch, i));
            }
          }
        }
      }
    }
  }

  /** A JSONL conversation ("messages") is rendered by the chat template: it needs task.chat. */
  static void checkConversations(boolean chat, Task task) {
    if (chat) {
      return;
    }
    for (List<org.tokenrl.rollout.Example> split : List.of(task.train(), task.heldOut())) {
      for (org.tokenrl.rollout.Example ex : split) {
        if (!ex.messages().isEmpty()) {
          String where = task.origin(ex);
          throw new ConfigException(
              (where != null ? where + ": " : "")
                  + "a \"messages\" conversation (a prompt that is a list of chat messages)"
                  + " needs task.chat = true (and model.path, a pretrained model with a chat"
                  + " template)");
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
    checkLengths(key, c.getInt(key), c.getInt("rollout.max_new_tokens"), task);
  }

  /** {@code maxNewTokens} is {@code rollout.max_new_tokens} (0 = derived from the task). */
  static void checkLengths(String key, int context, int maxNewTokens, Task task) {
    int maxNew = MaxNewTokens.of(maxNewTokens, task);
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
                  + (maxNewTokens > 0 ? " (rollout.max_new_tokens)" : " (the longest answer + 3)"),
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

  static ConfigException tooLong(Task task, Example ex, String needs, String key, int context) {
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
  /**
   * {@code sft.data}: the file exists, every row is a conversation the chat template renders, and
   * each fits the model's positions; algorithm = otr (one-token rollouts on answers) cannot use it.
   */
  private static void checkSftConversations(
      Config c, RunSpec spec, Path projectRoot, ModelHeader header) {
    if (!SftConversations.enabled(c)) {
      return;
    }
    if (spec.algorithmName().equals("otr")) {
      throw new ConfigException(
          "config error: sft.data (conversations) does not work with algorithm = otr, which"
              + " trains on task answers; set sft.data = \"\" or use algorithm = sft");
    }
    int positions = header.shape().maxSeqLen();
    for (SftConversations.Row row : SftConversations.load(c, projectRoot, header.tokenizer())) {
      int n = row.ids().prompt().length + row.ids().response().length;
      if (n > positions) {
        throw new ConfigException(
            row.where()
                + ": the conversation is "
                + n
                + " tokens, longer than the model's "
                + positions
                + " positions (sft.data); shorten it or leave it out");
      }
    }
  }

  private static void checkPreferenceFile(RunSpec spec, Path projectRoot) {
    String file = spec.preference().path();
    if (file.isBlank()) {
      throw new ConfigException(
          "config error: preference.source = jsonl needs preference.path (a file of {\"prompt\","
              + " \"chosen\", \"rejected\"} lines)");
    }
    List<PreferenceText> pairs = PreferenceJsonl.read(projectRoot.resolve(file));
    String key = spec.model().contextKey();
    int context = spec.model().context();
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

  /**
   * run.init_from must be a checkpoint (model.json and checksums.json) or a run directory that has
   * one, found now rather than after the run directory exists.
   */
  private static void checkInitFrom(String initFrom, Path projectRoot) {
    if (initFrom.isBlank()) {
      return;
    }
    Path path = projectRoot.resolve(initFrom);
    Path checkpoint = path;
    if (Files.isRegularFile(path.resolve(org.tokenrl.runlog.RunDirectory.CONFIG))) {
      var latest = new org.tokenrl.runlog.RunDirectory(path).latestCheckpoint();
      if (latest.isEmpty()) {
        throw new ConfigException(
            "config error: run.init_from = " + initFrom + " is a run with no checkpoint yet");
      }
      checkpoint = latest.get();
    }
    if (!Files.isRegularFile(checkpoint.resolve("model.json"))
        || !Files.isRegularFile(checkpoint.resolve("checksums.json"))) {
      throw new ConfigException(
          "config error: run.init_from = "
              + initFrom
              + " is neither a checkpoint (model.json, checksums.json) nor a run directory with"
              + " one; give runs/<run> or runs/<run>/checkpoints/step-NNNNNNN");
    }
  }

  private static MemoryPreflight.Inputs memoryInputs(
      RunSpec spec, Config c, ModelHeader header, RlAlgorithm rl, int longestRow) {
    boolean isRl = spec.kind() == org.tokenrl.algorithms.AlgorithmKind.RL;
    return new MemoryPreflight.Inputs(
        header.shape(),
        spec.model().lora(),
        spec.model().pretrained(),
        isRl,
        isRl && rl.needsReference(),
        spec.distributed().backend().equals(RolloutPools.LOCAL),
        c.getInt("rollout.workers"),
        (long) spec.trainer().promptsPerStep() * spec.trainer().groupSize(),
        longestRow,
        rowsPerUpdate(spec),
        spec.trainer().microBatchTokens(),
        spec.distributed().async());
  }

  /** The most rows one update trains on, over the run's phases (a pass holds at most these). */
  private static long rowsPerUpdate(RunSpec spec) {
    long rows = spec.sft().steps() > 0 ? spec.sft().batchSize() : 1;
    long main =
        switch (spec.kind()) {
          case RL -> (long) spec.trainer().promptsPerStep() * spec.trainer().groupSize();
          case PREFERENCE -> 2L * spec.preference().batchPairs();
          case SUPERVISED -> spec.sft().batchSize();
        };
    return Math.max(rows, main);
  }
}
