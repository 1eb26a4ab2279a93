package org.tokenrl.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;
  Path root;

  @BeforeEach
  void writeTree() throws IOException {
    root = dir.resolve("configs");
    write(
        "configs/base.conf",
        String.join(
            "\n",
            "defaults { algorithm = grpo, task = arith }",
            "seed = 0",
            "trainer {",
            "  # number of optimizer steps",
            "  steps = 100",
            "  lr = 1.0",
            "  log_dir = runs",
            "  eval_every = ${trainer.steps}",
            "}",
            "model { layers = 4, dim = 64 }",
            "algorithm { clip_eps = 0.2, group_size = 8 }",
            "task { seed = 1 }",
            "rewards = [ { type = exact_match, weight = 1.0 } ]",
            "# free-form: keys passed through to the logger",
            "logger { }",
            "strict { }",
            ""));
    write("configs/algorithm/grpo.conf", "clip_eps = 0.3\n");
    write("configs/algorithm/tempo.conf", "clip_eps = 0.25\ntree_depth = 3\n");
    write("configs/task/arith.conf", "digits = 2\n");
    write("configs/task/reverse.conf", "max_len = 5\n");
    write("configs/quickstart.conf", "trainer.steps = 50\n");
  }

  private Path write(String relative, String text) throws IOException {
    Path file = dir.resolve(relative);
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
    return file;
  }

  private Config load(String runFile, String... overrides) {
    Path run = runFile == null ? null : dir.resolve(runFile);
    return ConfigLoader.load(root, run, List.of(overrides)).config();
  }

  private String error(String runFile, String... overrides) {
    return assertThrows(ConfigException.class, () -> load(runFile, overrides)).getMessage();
  }

  private String file(String relative) {
    return dir.resolve(relative).toString();
  }

  @Test
  void baseDefaultsSelectGroupFilesAndSetTheirNames() {
    Config config = load(null);
    assertEquals("grpo", config.getString("algorithm.name"));
    assertEquals(0.3, config.getDouble("algorithm.clip_eps"));
    assertEquals(8, config.getInt("algorithm.group_size"));
    assertEquals("arith", config.getString("task.name"));
    assertEquals(2, config.getInt("task.digits"));
    assertEquals("grpo", config.getString("defaults.algorithm"));
  }

  @Test
  void runFileSelectionBeatsBaseAndCommandLineBeatsRunFile() throws IOException {
    write("configs/run.conf", "defaults { algorithm = tempo, task = reverse }\n");
    Config fromRun = load("configs/run.conf");
    assertEquals("tempo", fromRun.getString("algorithm.name"));
    assertEquals(3, fromRun.getInt("algorithm.tree_depth"));
    assertEquals("reverse", fromRun.getString("task.name"));

    Config fromCli = load("configs/run.conf", "algorithm=grpo", "defaults.task=arith");
    assertEquals("grpo", fromCli.getString("algorithm.name"));
    assertFalse(fromCli.hasPath("algorithm.tree_depth"));
    assertEquals("arith", fromCli.getString("task.name"));
    assertEquals("grpo", fromCli.getString("defaults.algorithm"));
  }

  @Test
  void globalPresetSelectsGroupsAndSetsRootKeysButCommandLineWins() throws IOException {
    write(
        "configs/experiment/rev.conf",
        String.join(
            "\n",
            "# @package _global_",
            "defaults { task = reverse }",
            "trainer.steps = 7",
            "rewards = [ { type = bleu, weight = 0.5 } ]",
            ""));
    Config preset = load("configs/quickstart.conf", "experiment=rev");
    assertEquals("reverse", preset.getString("task.name"));
    assertEquals(5, preset.getInt("task.max_len"));
    assertEquals(7, preset.getInt("trainer.steps"), "preset beats the run file");
    assertEquals("bleu", preset.getConfigList("rewards").get(0).getString("type"));
    assertEquals("rev", preset.getString("defaults.experiment"));
    assertFalse(
        preset.hasPath("experiment.trainer"), "a global preset is not placed under its group");

    Config cli = load("configs/quickstart.conf", "experiment=rev", "task=arith", "trainer.steps=3");
    assertEquals("arith", cli.getString("task.name"));
    assertEquals(3, cli.getInt("trainer.steps"));

    write("configs/experiment/bad.conf", "# @package _global_\ntrainer.stpes = 1\n");
    String message = error("configs/quickstart.conf", "experiment=bad");
    assertTrue(message.contains("'trainer.stpes'") && message.contains("bad.conf"), message);
  }

  @Test
  void laterLayersWin() throws IOException {
    write("configs/run.conf", "algorithm.clip_eps = 0.4\nmodel.layers = 2\n");
    Config run = load("configs/run.conf");
    assertEquals(0.4, run.getDouble("algorithm.clip_eps"), "run file beats group file");
    assertEquals(2, run.getInt("model.layers"), "run file beats base");
    assertEquals(64, run.getInt("model.dim"), "objects merge key by key");
    Config cli = load("configs/run.conf", "algorithm.clip_eps=0.5", "model.layers=3");
    assertEquals(0.5, cli.getDouble("algorithm.clip_eps"));
    assertEquals(3, cli.getInt("model.layers"));
  }

  @Test
  void substitutionsResolveAfterMerging() {
    Config config = load("configs/quickstart.conf", "trainer.steps=7");
    assertEquals(7, config.getInt("trainer.eval_every"));
  }

  @Test
  void overrideValuesAreParsedAsHocon() {
    Config config =
        load(
            null,
            "trainer.steps=5",
            "trainer.log_dir=\"a b\"",
            "strict={}",
            "seed=3",
            "rewards=[{type=bleu}]",
            "trainer.lr=2");
    assertEquals(5, config.getInt("trainer.steps"));
    assertEquals("a b", config.getString("trainer.log_dir"));
    assertEquals(3, config.getInt("seed"));
    assertEquals("bleu", config.getConfigList("rewards").get(0).getString("type"));
    assertEquals(2.0, config.getDouble("trainer.lr"), "an integer is a valid number");
    assertEquals("abc", load(null, "trainer.log_dir=abc").getString("trainer.log_dir"));
  }

  @Test
  void groupFileKeysAreValidOnlyWhenTheFileIsSelected() {
    assertEquals(
        4, load(null, "algorithm=tempo", "algorithm.tree_depth=4").getInt("algorithm.tree_depth"));
    String message = error(null, "algorithm.tree_depth=4");
    assertTrue(message.startsWith("config error: unknown key 'algorithm.tree_depth'"), message);
  }

  @Test
  void unknownKeyInRunFileNamesFileAndSuggestion() throws IOException {
    write("configs/quickstart.conf", "trainer.stpes = 50\n");
    assertEquals(
        "config error: unknown key 'trainer.stpes' in "
            + file("configs/quickstart.conf")
            + " (did you mean 'trainer.steps'?)",
        error("configs/quickstart.conf"));
  }

  @Test
  void unknownKeySuggestsSameNameInAnotherBlock() {
    assertEquals(
        "config error: unknown key 'trainer.layers' in command-line override"
            + " 'trainer.layers=2' (did you mean 'model.layers'?)",
        error(null, "trainer.layers=2"));
  }

  @Test
  void unknownKeyWithNothingCloseHasNoSuggestion() {
    assertEquals(
        "config error: unknown key 'completely_different' in command-line override"
            + " 'completely_different=1'",
        error(null, "completely_different=1"));
  }

  @Test
  void wrongTypesNameKeyValueAndSource() throws IOException {
    assertEquals(
        "config error: 'trainer.steps' must be an integer, got STRING \"abc\""
            + " (command-line override 'trainer.steps=abc')",
        error(null, "trainer.steps=abc"));
    assertEquals(
        "config error: 'trainer.steps' must be an integer, got NUMBER 1.5"
            + " (command-line override 'trainer.steps=1.5')",
        error(null, "trainer.steps=1.5"));
    assertTrue(
        error(null, "trainer.lr=true").contains("'trainer.lr' must be a number, got BOOLEAN"));
    assertTrue(error(null, "rewards=5").contains("'rewards' must be a list, got NUMBER 5"));
    assertTrue(error(null, "model=5").contains("'model' must be an object, got NUMBER 5"));
    write("configs/quickstart.conf", "trainer { log_dir = [1, 2] }\n");
    assertEquals(
        "config error: 'trainer.log_dir' must be a string, got LIST [1,2] ("
            + file("configs/quickstart.conf")
            + ")",
        error("configs/quickstart.conf"));
  }

  @Test
  void groupFileValuesAreCheckedAgainstBase() throws IOException {
    write("configs/algorithm/grpo.conf", "group_size = big\n");
    assertEquals(
        "config error: 'algorithm.group_size' must be an integer, got STRING \"big\" ("
            + file("configs/algorithm/grpo.conf")
            + ")",
        error(null));
  }

  @Test
  void missingRunFileListsRunConfigs() {
    assertEquals(
        "config error: run config "
            + file("configs/quickstrt.conf")
            + " not found (run configs in "
            + root
            + ": quickstart.conf)",
        error("configs/quickstrt.conf"));
  }

  @Test
  void unknownGroupOptionListsChoices() throws IOException {
    assertEquals(
        "config error: no file "
            + file("configs/algorithm/foo.conf")
            + " for 'algorithm=foo' (choose one of: grpo, tempo)",
        error(null, "algorithm=foo"));
    write("configs/run.conf", "defaults { task = sortt }\n");
    assertEquals(
        "config error: no file "
            + file("configs/task/sortt.conf")
            + " for 'defaults.task=sortt'"
            + " in "
            + file("configs/run.conf")
            + " (choose one of: arith, reverse)",
        error("configs/run.conf"));
  }

  @Test
  void unknownGroupInDefaultsIsAnError() throws IOException {
    write("configs/run.conf", "defaults { optimizer = adam }\n");
    assertEquals(
        "config error: unknown config group 'optimizer' in "
            + file("configs/run.conf")
            + " (groups are the folders of the config root: algorithm, task)",
        error("configs/run.conf"));
  }

  @Test
  void syntaxErrorsNameFileAndLine() throws IOException {
    write("configs/run.conf", "trainer {\n  steps = 3\n  lr = = 2\n}\n");
    String message = error("configs/run.conf");
    assertTrue(
        message.startsWith("config error: syntax error at " + file("configs/run.conf") + ":3: "),
        message);
    assertFalse(message.contains("\n"));
  }

  @Test
  void includesAreRelativeToTheRunFileAndErrorsNameTheIncludedFile() throws IOException {
    write("elsewhere/common.conf", "model.layers = 6\n");
    write("elsewhere/run.conf", "include \"common.conf\"\ntrainer.steps = 9\n");
    Config config = load("elsewhere/run.conf");
    assertEquals(6, config.getInt("model.layers"));
    assertEquals(9, config.getInt("trainer.steps"));

    write("elsewhere/common.conf", "model.layrs = 6\n");
    assertEquals(
        "config error: unknown key 'model.layrs' in "
            + file("elsewhere/common.conf")
            + " (did you mean 'model.layers'?)",
        error("elsewhere/run.conf"));
  }

  @Test
  void anIncludeOfAMissingFileIsRefused() throws IOException {
    write("elsewhere/run.conf", "include \"comon.conf\"\ntrainer.steps = 9\n");
    String message = error("elsewhere/run.conf");
    assertTrue(message.startsWith("config error: include \"comon.conf\" in "), message);
    assertTrue(message.contains("run.conf"), message);
    assertFalse(message.contains("\n"));
    write("elsewhere/run.conf", "include file(\"/no/such/dir/x.conf\")\n");
    assertTrue(error("elsewhere/run.conf").contains("/no/such/dir/x.conf"));
    // Includes up the tree, as experiments/*/*.conf do, still load.
    write("elsewhere/deep/er/run.conf", "include \"../../common.conf\"\n");
    write("elsewhere/common.conf", "model.layers = 6\n");
    assertEquals(6, load("elsewhere/deep/er/run.conf").getInt("model.layers"));
    // Nested includes are strict too.
    write("elsewhere/common.conf", "include \"gone.conf\"\n");
    write("elsewhere/run.conf", "include \"common.conf\"\n");
    assertTrue(error("elsewhere/run.conf").contains("include \"gone.conf\""));
  }

  @Test
  void freeFormBlocksAcceptAnyKeysButOtherObjectsDoNot() throws IOException {
    write(
        "configs/run.conf",
        String.join(
            "\n",
            "logger { project = demo, tags { a = 1 } }",
            "rewards = [ { type = bleu, n = 4 }, { type = length } ]",
            ""));
    Config config = load("configs/run.conf", "logger.extra=true");
    assertEquals("demo", config.getString("logger.project"));
    assertTrue(config.getBoolean("logger.extra"));
    assertEquals(2, config.getList("rewards").size());
    assertTrue(
        error(null, "strict.anything=1").startsWith("config error: unknown key 'strict.anything'"));
  }

  @Test
  void groupNameCannotBeSetDirectly() {
    String message = error(null, "algorithm.name=tempo");
    assertTrue(
        message.contains("'algorithm.name' is the name of the selected algorithm file"), message);
    assertTrue(message.endsWith("(command-line override 'algorithm.name=tempo')"), message);
  }

  @Test
  void malformedOverrideIsAnError() {
    assertEquals(
        "config error: command-line override 'trainer.steps' is not key=value"
            + " (e.g. trainer.steps=50 or algorithm=grpo)",
        error(null, "trainer.steps"));
    assertTrue(
        error(null, "trainer.log_dir=a,b")
            .startsWith(
                "config error: cannot parse the value of command-line override"
                    + " 'trainer.log_dir=a,b'"));
  }

  @Test
  void unresolvedSubstitutionIsOneLineNamingTheFile() throws IOException {
    write("configs/run.conf", "trainer.eval_every = ${trainer.stepz}\n");
    String message = error("configs/run.conf");
    assertTrue(message.startsWith("config error: " + file("configs/run.conf") + ": 1: "), message);
    assertTrue(message.contains("${trainer.stepz}"), message);
  }

  @Test
  void renderLoadsBackToTheSameConfig() throws IOException {
    ResolvedConfig resolved =
        ConfigLoader.load(
            root,
            dir.resolve("configs/quickstart.conf"),
            List.of("trainer.log_dir=\"odd ${x} \\\"quoted\\\" # text\"", "trainer.lr=0.001"));
    String text = resolved.render();
    assertTrue(text.contains("# command-line override 'trainer.lr=0.001'"), text);
    assertTrue(text.contains(file("configs/algorithm/grpo.conf")), text);
    Path rendered = write("run/config.conf", text);
    ResolvedConfig loaded = ConfigLoader.loadResolved(rendered);
    assertEquals(resolved.config().root(), loaded.config().root());
    assertEquals("odd ${x} \"quoted\" # text", loaded.config().getString("trainer.log_dir"));
    assertEquals(
        List.of(
            file("configs/base.conf"),
            file("configs/algorithm/grpo.conf"),
            file("configs/task/arith.conf"),
            file("configs/quickstart.conf"),
            "command-line override 'trainer.log_dir=\"odd ${x} \\\"quoted\\\" # text\"'",
            "command-line override 'trainer.lr=0.001'"),
        resolved.sources());
  }
}
