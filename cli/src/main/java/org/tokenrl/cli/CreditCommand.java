package org.tokenrl.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.tokenrl.algorithms.AlgorithmKind;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.algorithms.rl.RlAlgorithm;
import org.tokenrl.algorithms.rl.RlBatch;
import org.tokenrl.algorithms.rl.TokenCredit;
import org.tokenrl.core.CharTokenizer;
import org.tokenrl.core.PreferenceBatch;
import org.tokenrl.core.PreferenceSchema.TokenWeights;
import org.tokenrl.runlog.RunDirectory;
import org.tokenrl.tools.credit.CreditHtml;
import org.tokenrl.tools.credit.PairCredit;
import org.tokenrl.tools.credit.PairCreditHtml;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tokenrl credit}: token credit for groups read from JSON lines, for inspecting what an
 * algorithm does to real rollouts.
 *
 * <pre>
 * tokenrl credit --algorithm grpo|tempo|d3s|treg|cdpo [--input FILE|-] [--html OUT.html]
 *                [--progress P] [key=value ...]
 * tokenrl credit RUN_DIR [--step N] [--group K] [--html OUT.html]
 * </pre>
 *
 * With a run directory it shows what an RL step of that run trained on, from the rollouts the run
 * saved ({@code RUN/rollouts/step-NNNNNN.arrow}, {@code trainer.save_rollouts}), with the run's
 * tokenizer: one JSON line per group, and with {@code --html} the page.
 *
 * <p>For treg and cdpo each line is one preference pair and the output is T-REG's token rewards or
 * cDPO's critical-token weights, computed from the log-probs/logits on the line (see {@link
 * PairCredit} for the formats).
 *
 * <p>Each input line is one group: {@code {"responses": [[ids], ...], "rewards": [...],
 * "entropies": [[...], ...], "loss_mask": [[...], ...]}} (entropies optional, needed by d3s with K
 * < 1; loss_mask optional, false on a multi-turn rollout's environment tokens; a null reward means
 * unscorable). Each output line is {@code {"advantages": [[...]], "keep": [[0/1, ...]]}}. {@code
 * key=value} overrides any key of the algorithm block (see configs/algorithm/*.conf); progress
 * drives the d3s schedule. Exit status: 0 on success, 2 on a usage error or malformed input (with
 * the line).
 *
 * <p>Length: one input format and one table per algorithm family (RL credit, T-REG, cDPO), each a
 * short method; the pages themselves are in tools.
 */
@Command(
    name = "credit",
    description = {
      "per-token credit: advantages (grpo, tempo, d3s), r̂ (treg), critical tokens (cdpo)",
      "",
      "--algorithm grpo|tempo|d3s: one group per input line,",
      "  {\"responses\": [[ids],...], \"rewards\": [...], \"entropies\": optional [[...],...],",
      "   \"loss_mask\": optional [[true|false,...],...] (false: an environment's token)}",
      "--algorithm treg: one pair per line, {\"chosen\": [ids], \"rejected\": [ids],",
      "  \"better_logp\": {\"chosen\": [...], \"rejected\": [...]}, \"worse_logp\": {...}}",
      "--algorithm cdpo: one pair per line, {\"rejected\": [ids], \"z_pos\": [[logits] per"
          + " token], \"z_neg\": [[...]], \"eos\": optional bool}",
      "RUN_DIR [--step N] [--group K]: what step N (global; default the newest saved) of an RL"
          + " run trained on, from RUN_DIR/rollouts/step-NNNNNN.arrow, tokens in the run's"
          + " tokenizer; groups left out of the update and truncated responses are marked",
      "--pairs RUN_DIR/preference/pairs.arrow: the T-REG token rewards or cDPO critical-token"
          + " weights a run computed and cached for its pairs (tokens shown with the run's"
          + " tokenizer: characters, or a pretrained model's subword pieces)",
      ""
    })
final class CreditCommand extends CliCommand {
  @Option(
      names = "--algorithm",
      paramLabel = "NAME",
      description = "grpo, tempo, d3s, treg or cdpo (required unless --pairs)")
  private String algorithm;

  @Option(
      names = "--input",
      paramLabel = "FILE",
      description = "read from FILE; - (default) reads stdin")
  private String input = "-";

  @Option(
      names = "--model",
      paramLabel = "MODEL",
      description =
          "show tokens in the HTML page as this model's subword pieces (spaces as ␣): a known name,"
              + " .gguf file or HF directory (default: token ids; --pairs: the run's tokenizer)")
  private String model;

  @Option(names = "--html", paramLabel = "OUT.html", description = "also write a colour page")
  private Path html;

  @Option(
      names = "--pairs",
      paramLabel = "PAIRS.arrow",
      description = "show the token weights a treg/cdpo run cached")
  private Path cached;

  @Option(
      names = "--limit",
      paramLabel = "N",
      description = "with --pairs: the first N pairs (default 50)")
  private int limit = 50;

  @Option(
      names = "--step",
      paramLabel = "N",
      description = "with RUN_DIR: the global step whose saved rollouts to show (default newest)")
  private Long step;

  @Option(
      names = "--group",
      paramLabel = "K",
      description = "with RUN_DIR: only group K of the step (from 0; default every group)")
  private Integer group;

  @Option(
      names = "--progress",
      paramLabel = "P",
      description = "training progress in [0,1] driving the d3s schedule (default 0)")
  private double progress;

  @Parameters(
      paramLabel = "key=value",
      description = "overrides of the algorithm block (see configs/algorithm/*.conf)")
  private List<String> overrides = new ArrayList<>();

  @Option(names = "--force", description = "overwrite an existing --html file")
  private boolean force;

  @Override
  int execute() throws BadInput, IOException {
    refuseExisting(html, force);
    if (!(progress >= 0 && progress <= 1)) {
      return fail("--progress must be in [0,1], got " + progress);
    }
    if (!overrides.isEmpty()
        && !overrides.get(0).contains("=")
        && Files.isDirectory(Path.of(overrides.get(0)))) {
      if (overrides.size() > 1) {
        return fail("with a run directory, credit takes no key=value overrides");
      }
      return runRollouts(Path.of(overrides.get(0)), console().out());
    }
    if (step != null || group != null) {
      if (!overrides.isEmpty() && !overrides.get(0).contains("=")) {
        return fail(overrides.get(0) + " is not a run directory (no such directory)");
      }
      return fail("--step and --group need a run directory: ./tokenrl credit RUN_DIR --step N");
    }
    for (String o : overrides) {
      if (!o.contains("=")) {
        return fail("unexpected argument '" + o + "' (overrides look like key=value)");
      }
    }
    InputStream stdin = console().in();
    PrintStream out = console().out();
    if (cached != null) {
      org.tokenrl.core.Tokenizer tokenizer = modelTokenizer();
      return cachedPairs(
          cached, limit, html, out, tokenizer != null ? tokenizer : runTokenizer(cached));
    }
    if (algorithm == null) {
      return fail("--algorithm is required (see ./tokenrl credit --help)");
    }
    final RlAlgorithm algo;
    try {
      Config block =
          ConfigFactory.parseString(String.join("\n", overrides))
              .withValue("name", ConfigValueFactory.fromAnyRef(algorithm));
      if (Algorithms.kind(algorithm) != AlgorithmKind.RL) {
        return pairs(PairCredit.create(block), input, html, stdin, out, modelTokenizer());
      }
      algo = Algorithms.create(block);
    } catch (IllegalArgumentException | com.typesafe.config.ConfigException e) {
      throw new BadInput(e.getMessage());
    }

    ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    CreditHtml page = html == null ? null : new CreditHtml(algo.settings(), modelTokenizer());
    forEachLine(
        input,
        stdin,
        (lineNo, line) -> {
          RlBatch group = parse(json, line, progress);
          TokenCredit credit = algo.credit(group);
          out.println(json.writeValueAsString(toJson(json, credit)));
          if (page != null) {
            page.addGroup(lineNo, group, credit);
          }
        });
    if (page != null) {
      Files.writeString(html, page.render(), StandardCharsets.UTF_8);
    }
    return 0;
  }

  /** The treg/cdpo path: one pair per line. */
  private static int pairs(
      PairCredit credit,
      String input,
      Path html,
      InputStream stdin,
      PrintStream out,
      org.tokenrl.core.Tokenizer tokenizer)
      throws BadInput, IOException {
    ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    PairCreditHtml page =
        html == null ? null : new PairCreditHtml(credit.settings(), credit.isTreg(), tokenizer);
    forEachLine(
        input,
        stdin,
        (lineNo, line) -> {
          PairCredit.Row[] rows = credit.score(readJson(json, line));
          out.println(json.writeValueAsString(credit.toJson(json, rows)));
          if (page != null) {
            page.addPair(lineNo, rows);
          }
        });
    if (page != null) {
      Files.writeString(html, page.render(), StandardCharsets.UTF_8);
    }
    return 0;
  }

  /** The token weights a treg / cdpo run cached with its pairs, first {@code limit} pairs. */
  private static int cachedPairs(
      Path file, int limit, Path html, PrintStream out, org.tokenrl.core.Tokenizer tokenizer)
      throws BadInput, IOException {
    if (!Files.isRegularFile(file)) {
      throw new BadInput(
          "no such file " + file + " (a treg or cdpo run writes <run dir>/preference/pairs.arrow)");
    }
    ObjectMapper json = new ObjectMapper();
    try (RootAllocator allocator = new RootAllocator();
        PreferenceBatch batch = PreferenceBatch.readFile(allocator, file)) {
      TokenWeights kind = batch.tokenWeights();
      if (kind == TokenWeights.NONE) {
        throw new BadInput(
            file + " holds no token weights (a dpo run): every token shares its sequence's credit");
      }
      PairCredit credit =
          PairCredit.create(
              ConfigFactory.empty().withValue("name", ConfigValueFactory.fromAnyRef(kind.label())));
      PairCreditHtml page =
          html == null ? null : new PairCreditHtml(credit.settings(), credit.isTreg(), tokenizer);
      for (int i = 0; i < Math.min(limit, batch.size()); i++) {
        PairCredit.Row[] rows;
        if (kind == TokenWeights.TREG) {
          rows =
              new PairCredit.Row[] {
                new PairCredit.Row(
                    "chosen",
                    batch.chosenIds(i),
                    PreferenceBatch.toDoubles(batch.chosenTokenWeights(i)),
                    null),
                new PairCredit.Row(
                    "rejected",
                    batch.rejectedIds(i),
                    PreferenceBatch.toDoubles(batch.rejectedTokenWeights(i)),
                    null)
              };
        } else {
          double[] w = PreferenceBatch.toDoubles(batch.rejectedTokenWeights(i));
          boolean[] critical = new boolean[w.length];
          for (int t = 0; t < w.length; t++) {
            critical[t] = w[t] > PairCredit.CRITICAL;
          }
          rows =
              new PairCredit.Row[] {
                new PairCredit.Row("rejected", batch.rejectedIds(i), w, critical)
              };
        }
        out.println(json.writeValueAsString(credit.toJson(json, rows)));
        if (page != null) {
          page.addPair(batch.pairId(i), rows);
        }
      }
      if (page != null) {
        Files.writeString(html, page.render(), StandardCharsets.UTF_8);
      }
    }
    return 0;
  }

  /** {@code credit RUN_DIR}: the step's saved rollouts as JSON lines and, with --html, a page. */
  private int runRollouts(Path run, PrintStream out) throws BadInput, IOException {
    RunDirectory dir;
    try {
      dir = RunDirectory.existing(run);
    } catch (IllegalArgumentException e) {
      throw new BadInput(e.getMessage());
    }
    List<Path> files = dir.rolloutFiles();
    if (files.isEmpty()) {
      throw new BadInput(
          run
              + " has no saved rollouts (rollouts/step-NNNNNN.arrow): only RL runs with"
              + " trainer.save_rollouts > 0 save them");
    }
    Path file = step == null ? files.get(files.size() - 1) : dir.rolloutFile(step);
    if (!Files.isRegularFile(file)) {
      throw new BadInput(
          "--step "
              + step
              + ": "
              + run
              + " saved no rollouts for that step; saved steps: "
              + savedSteps(files));
    }
    org.tokenrl.core.StepRollouts rollouts;
    try {
      rollouts = org.tokenrl.core.StepRollouts.read(file);
    } catch (IllegalArgumentException e) {
      throw new BadInput(e.getMessage());
    }
    int g = rollouts.groupSize();
    int groups = rollouts.rows().size() / g;
    if (group != null && (group < 0 || group >= groups)) {
      throw new BadInput("--group " + group + ": step has groups 0.." + (groups - 1));
    }
    List<Integer> shown = new ArrayList<>();
    for (int k = 0; k < groups; k++) {
      if (group == null || group == k) {
        shown.add(k);
      }
    }
    ObjectMapper json = new ObjectMapper();
    for (int k : shown) {
      out.println(json.writeValueAsString(groupJson(json, rollouts, k)));
    }
    if (html != null) {
      org.tokenrl.core.Tokenizer tokenizer = modelTokenizer();
      String title = run + " step " + RunDirectory.stepOf(file);
      Files.writeString(
          html,
          org.tokenrl.tools.credit.RunCreditHtml.render(
              title, rollouts, shown, tokenizer != null ? tokenizer : runTokenizerOf(run)),
          StandardCharsets.UTF_8);
    }
    return 0;
  }

  private static String savedSteps(List<Path> files) {
    List<String> steps = new ArrayList<>();
    for (Path f : files) {
      steps.add(Long.toString(RunDirectory.stepOf(f)));
    }
    if (steps.size() > 12) {
      return steps.get(0) + ", " + steps.get(1) + ", ..., " + steps.get(steps.size() - 1);
    }
    return String.join(", ", steps);
  }

  /** One group: prompt, response texts, rewards, advantages and loss masks, update flag. */
  private static ObjectNode groupJson(
      ObjectMapper json, org.tokenrl.core.StepRollouts rollouts, int k) {
    int g = rollouts.groupSize();
    ObjectNode o = json.createObjectNode();
    o.put("step", Long.parseLong(rollouts.metadata().getOrDefault("step", "-1")));
    o.put("group", k);
    o.put("prompt", rollouts.rows().get(k * g).promptText());
    o.put("in_update", rollouts.rows().get(k * g).inUpdate());
    ArrayNode responses = o.putArray("responses");
    ArrayNode rewards = o.putArray("rewards");
    ArrayNode truncated = o.putArray("truncated");
    ArrayNode adv = o.putArray("advantages");
    ArrayNode keep = o.putArray("keep");
    ArrayNode policy = o.putArray("loss_mask");
    for (int i = k * g; i < (k + 1) * g; i++) {
      org.tokenrl.core.StepRollouts.Row row = rollouts.rows().get(i);
      responses.add(row.responseText());
      rewards.add(row.rollout().reward());
      truncated.add(row.rollout().truncated());
      ArrayNode a = adv.addArray();
      ArrayNode m = keep.addArray();
      ArrayNode p = policy.addArray();
      for (int t = 0; t < row.advantages().length; t++) {
        a.add(row.advantages()[t]);
        m.add(row.inLoss()[t] ? 1 : 0);
        p.add(row.rollout().lossMask()[t]);
      }
    }
    return o;
  }

  /** --model's tokenizer, or null. */
  private org.tokenrl.core.Tokenizer modelTokenizer() throws BadInput {
    if (model == null) {
      return null;
    }
    try {
      return org.tokenrl.model.io.PretrainedModel.loadTokenizer(
          ModelArgument.resolve(model, console()));
    } catch (IOException e) {
      throw new BadInput("--model " + model + ": " + e.getMessage());
    }
  }

  /**
   * The tokenizer of the run whose {@code <run>/preference/pairs.arrow} this is (its newest
   * checkpoint's), else the built-in character tokenizer.
   */
  private static org.tokenrl.core.Tokenizer runTokenizer(Path pairsFile) {
    return runTokenizerOf(pairsFile.toAbsolutePath().getParent().getParent());
  }

  /** The run's tokenizer (its newest checkpoint's), else the built-in character tokenizer. */
  private static org.tokenrl.core.Tokenizer runTokenizerOf(Path run) {
    try {
      if (Files.isRegularFile(run.resolve(RunDirectory.CONFIG))) {
        java.util.Optional<Path> ckpt = RunDirectory.existing(run).latestCheckpoint();
        if (ckpt.isPresent()) {
          return org.tokenrl.core.Tokenizers.fromJson(
              Files.readString(ckpt.get().resolve("tokenizer.json")));
        }
      }
    } catch (IOException | RuntimeException e) {
      // fall through: characters of the built-in tokenizer
    }
    return CharTokenizer.ascii();
  }

  private static JsonNode readJson(ObjectMapper json, String line) {
    try {
      return json.readTree(line);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage());
    }
  }

  /** Handles one non-blank input line; an IllegalArgumentException is bad input on that line. */
  @FunctionalInterface
  private interface LineHandler {
    void handle(int lineNo, String line) throws IOException;
  }

  /** Calls {@code handler} for each non-blank line; bad input is reported as {@code FILE:LINE}. */
  private static void forEachLine(String input, InputStream stdin, LineHandler handler)
      throws BadInput, IOException {
    try (BufferedReader reader = open(input, stdin)) {
      String line;
      int lineNo = 0;
      while ((line = reader.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        try {
          handler.handle(lineNo, line);
        } catch (IllegalArgumentException e) {
          throw new BadInput(input + ":" + lineNo + ": " + e.getMessage());
        }
      }
    }
  }

  private static BufferedReader open(String input, InputStream stdin) throws BadInput {
    Reader r;
    if (input.equals("-")) {
      r = new InputStreamReader(stdin, StandardCharsets.UTF_8);
    } else {
      try {
        r = Files.newBufferedReader(Path.of(input), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new BadInput("cannot read --input " + input + ": " + e);
      }
    }
    return new BufferedReader(r);
  }

  /** One group: its size is the number of responses on the line. */
  static RlBatch parse(ObjectMapper json, String line, double progress) {
    JsonNode node;
    try {
      node = json.readTree(line);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException(
          "expected a JSON object with \"responses\" and \"rewards\"");
    }
    JsonNode responses = node.get("responses");
    JsonNode rewards = node.get("rewards");
    if (responses == null || !responses.isArray() || responses.isEmpty()) {
      throw new IllegalArgumentException(
          "\"responses\" must be a non-empty array of token-id arrays");
    }
    if (rewards == null || !rewards.isArray() || rewards.size() != responses.size()) {
      throw new IllegalArgumentException(
          "\"rewards\" must be an array with one number per response (" + responses.size() + ")");
    }
    int g = responses.size();
    int[][] tok = new int[g][];
    double[] r = new double[g];
    for (int i = 0; i < g; i++) {
      JsonNode row = responses.get(i);
      if (!row.isArray()) {
        throw new IllegalArgumentException("responses[" + i + "] must be an array of token ids");
      }
      tok[i] = new int[row.size()];
      for (int t = 0; t < row.size(); t++) {
        if (!row.get(t).canConvertToInt() || !row.get(t).isIntegralNumber()) {
          throw new IllegalArgumentException(
              "responses[" + i + "][" + t + "] is not a token id: " + row.get(t));
        }
        tok[i][t] = row.get(t).intValue();
      }
      JsonNode reward = rewards.get(i);
      if (reward.isNull()) {
        r[i] = Double.NaN;
      } else if (reward.isNumber()) {
        r[i] = reward.doubleValue();
      } else {
        throw new IllegalArgumentException("rewards[" + i + "] is not a number: " + reward);
      }
    }
    double[][] entropies = null;
    JsonNode ent = node.get("entropies");
    if (ent != null && !ent.isNull()) {
      if (!ent.isArray() || ent.size() != g) {
        throw new IllegalArgumentException("\"entropies\" must have one array per response");
      }
      entropies = new double[g][];
      for (int i = 0; i < g; i++) {
        JsonNode row = ent.get(i);
        if (!row.isArray() || row.size() != tok[i].length) {
          throw new IllegalArgumentException(
              "entropies[" + i + "] must have one number per token (" + tok[i].length + ")");
        }
        entropies[i] = new double[row.size()];
        for (int t = 0; t < row.size(); t++) {
          if (!row.get(t).isNumber()) {
            throw new IllegalArgumentException("entropies[" + i + "][" + t + "] is not a number");
          }
          entropies[i][t] = row.get(t).doubleValue();
        }
      }
    }
    RlBatch batch = new RlBatch(r, tok, g, null, entropies, progress);
    JsonNode maskNode = node.get("loss_mask");
    if (maskNode == null || maskNode.isNull()) {
      return batch;
    }
    if (!maskNode.isArray() || maskNode.size() != g) {
      throw new IllegalArgumentException("\"loss_mask\" must have one array per response");
    }
    boolean[][] mask = new boolean[g][];
    for (int i = 0; i < g; i++) {
      JsonNode row = maskNode.get(i);
      if (!row.isArray() || row.size() != tok[i].length) {
        throw new IllegalArgumentException(
            "loss_mask[" + i + "] must have one entry per token (" + tok[i].length + ")");
      }
      mask[i] = new boolean[row.size()];
      for (int t = 0; t < row.size(); t++) {
        JsonNode v = row.get(t);
        if (!(v.isBoolean() || v.isIntegralNumber() && (v.intValue() == 0 || v.intValue() == 1))) {
          throw new IllegalArgumentException(
              "loss_mask[" + i + "][" + t + "] must be true/false or 1/0, got " + v);
        }
        mask[i][t] = v.isBoolean() ? v.booleanValue() : v.intValue() == 1;
      }
    }
    return batch.withLossMask(mask);
  }

  private static ObjectNode toJson(ObjectMapper json, TokenCredit credit) {
    ObjectNode o = json.createObjectNode();
    ArrayNode adv = o.putArray("advantages");
    ArrayNode keep = o.putArray("keep");
    for (int i = 0; i < credit.advantages().length; i++) {
      ArrayNode a = adv.addArray();
      ArrayNode k = keep.addArray();
      for (int t = 0; t < credit.advantages()[i].length; t++) {
        a.add(credit.advantages()[i][t]);
        k.add(credit.keep()[i][t] ? 1 : 0);
      }
    }
    return o;
  }
}
