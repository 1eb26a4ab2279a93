package org.tokenrl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.algorithms.rl.RlBatch;
import org.tokenrl.algorithms.rl.TokenCredit;
import org.tokenrl.tools.credit.CreditHtml;

/**
 * {@code tokenrl credit} end to end: the docs/ worked examples through JSON lines, errors, the HTML
 * page.
 */
class CreditCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private record Run(int status, List<String> out, String err) {}

  private static Run run(String stdin, String... args) {
    String[] line = new String[args.length + 1];
    line[0] = "credit";
    System.arraycopy(args, 0, line, 1, args.length);
    CliRun r = CliRun.withInput(stdin, line);
    return new Run(r.code(), r.lines(), r.err());
  }

  private static double[][] advantages(String line) throws IOException {
    JsonNode rows = JSON.readTree(line).get("advantages");
    double[][] a = new double[rows.size()][];
    for (int i = 0; i < a.length; i++) {
      a[i] = new double[rows.get(i).size()];
      for (int t = 0; t < a[i].length; t++) {
        a[i][t] = rows.get(i).get(t).doubleValue();
      }
    }
    return a;
  }

  private static final String T1 =
      "{\"responses\": [[5,7,9,2],[5,7,8,2],[5,6,9,2],[4,6,9,2]], \"rewards\": [1,0,1,0]}";

  @Test
  void tempoReproducesExampleT1WithDefaultsAndOverrides(@TempDir Path dir) throws IOException {
    Path input = dir.resolve("t1.jsonl");
    Files.writeString(input, T1 + "\n");
    Run r = run("", "--algorithm", "tempo", "--input", input.toString());
    assertEquals(0, r.status(), r.err());
    assertEquals(1, r.out().size());
    double[][] a = advantages(r.out().get(0));
    assertEquals(1.1546985384, a[0][0], 1e-9);
    assertEquals(1.4433731730, a[2][1], 1e-9);
    assertEquals(-1.7320478076, a[3][0], 1e-9);
    assertTrue(
        r.out().get(0).contains("\"keep\":[[1,1,1,1],[1,1,1,1],[1,1,1,1],[1,1,1,1]]"),
        r.out().get(0));

    Run raw = run("", "--algorithm", "tempo", "--input", input.toString(), "norm_std=false");
    double[][] b = advantages(raw.out().get(0));
    assertEquals(0.8333333333, b[2][1], 1e-9);
    assertEquals(-1.0, b[1][2], 1e-9);
  }

  @Test
  void grpoReadsStdinOneGroupPerLine() throws IOException {
    String in =
        "{\"responses\": [[1],[2],[3],[4]], \"rewards\": [1,0,0,1]}\n\n"
            + "{\"responses\": [[1],[2],[3],[4]], \"rewards\": [1,1,1,1]}\n";
    Run r = run(in, "--algorithm", "grpo");
    assertEquals(0, r.status(), r.err());
    assertEquals(2, r.out().size());
    assertEquals(0.8658754298, advantages(r.out().get(0))[0][0], 1e-9);
    assertEquals(-0.8658754298, advantages(r.out().get(0))[1][0], 1e-9);
    assertEquals(0.0, advantages(r.out().get(1))[2][0], 0.0);
  }

  @Test
  void malformedInputExitsTwoWithTheLineNumber() {
    String in = T1 + "\n{\"responses\": [[1,2]], \"rewards\": [1, 2]}\n";
    Run r = run(in, "--algorithm", "grpo");
    assertEquals(2, r.status());
    assertEquals(1, r.out().size(), "groups before the bad line are still printed");
    assertTrue(r.err().contains("-:2:") && r.err().contains("rewards"), r.err());
    Run notJson = run("{\"responses\": [[1]], \"rewards\": [1]} trailing\n", "--algorithm", "grpo");
    assertEquals(2, notJson.status());
    assertTrue(notJson.err().contains(":1:"), notJson.err());
  }

  @Test
  void unknownAlgorithmOrKeyExitsTwo() {
    Run r = run(T1, "--algorithm", "ppo");
    assertEquals(2, r.status());
    assertTrue(
        r.err()
            .contains(
                "d3s, dpo, grpo, gspo, otr, reinforce_pp, reinforce_pp_baseline, rloo, sft, tempo,"
                    + " treg"),
        r.err());
    Run dpo = run(T1, "--algorithm", "dpo");
    assertEquals(2, dpo.status());
    assertTrue(dpo.err().contains("treg") && dpo.err().contains("cdpo"), dpo.err());
    Run k = run(T1, "--algorithm", "grpo", "eps=1");
    assertEquals(2, k.status());
    assertTrue(k.err().contains("eps_adv"), k.err());
  }

  @Test
  void anExistingHtmlPageIsNeverOverwrittenWithoutForce(@TempDir Path dir) throws IOException {
    Path html = dir.resolve("credit.html");
    Files.writeString(html, "keep me");
    Run r = run(T1, "--algorithm", "grpo", "--html", html.toString());
    assertEquals(2, r.status());
    assertTrue(r.err().contains("already exists"), r.err());
    assertEquals("keep me", Files.readString(html));
    Run forced = run(T1, "--algorithm", "grpo", "--html", html.toString(), "--force");
    assertEquals(0, forced.status(), forced.err());
    assertTrue(Files.readString(html).contains("<html"), "overwritten with --force");
  }

  @Test
  void d3sWritesTheSameKeepAsTheAssignerAndAnHtmlPage(@TempDir Path dir) throws IOException {
    String line =
        "{\"responses\": [[5,7,9,2],[5,7,8,2],[5,6,9,2],[4,6,9,2]], \"rewards\": [1,0,0.5,0],"
            + " \"entropies\":"
            + " [[0.3,0.2,0.9,0.1],[0.5,0.4,0.3,0.2],[0.1,0.7,0.2,0.6],[0.8,0.1,0.1,0.4]]}";
    Path html = dir.resolve("credit.html");
    Run r =
        run(
            line,
            "--algorithm",
            "d3s",
            "--html",
            html.toString(),
            "--progress",
            "0.5",
            "base=tempo");
    assertEquals(0, r.status(), r.err());

    RlBatch in = CreditCommand.parse(JSON, line, 0.5);
    TokenCredit direct = Algorithms.create("name = d3s, base = tempo").credit(in);
    StringBuilder keep = new StringBuilder("\"keep\":[");
    for (int i = 0; i < 4; i++) {
      keep.append(i > 0 ? "," : "").append('[');
      for (int t = 0; t < 4; t++) {
        keep.append(t > 0 ? "," : "").append(direct.keep()[i][t] ? 1 : 0);
      }
      keep.append(']');
    }
    assertTrue(r.out().get(0).contains(keep + "]"), r.out().get(0) + " vs " + keep);

    String page = Files.readString(html);
    long dropped = page.split("class=\"tok drop\"", -1).length - 1L;
    long total = page.split("class=\"tok", -1).length - 1L;
    assertTrue(dropped > 1 && total - dropped > 0, "some tokens dropped, some kept");
    assertTrue(
        page.contains("linear-gradient") && page.contains("line-through"),
        "legend and strike-through");
  }

  /** With --model, the page shows the model's subword pieces (spaces visible), ids in tooltips. */
  @Test
  void withAModelTheHtmlShowsSubwordPieces(@TempDir Path dir) throws Exception {
    org.tokenrl.core.HfTokenizer smol =
        org.tokenrl.model.io.PretrainedModel.loadTokenizer(
            Path.of(CliRun.of("fetch", "smollm2-135m-instruct").out().strip()));
    int[] good = smol.encode("The capital of France is Paris.", false);
    int[] bad = smol.encode("The capital of France is Lyon.", false);
    String line =
        "{\"responses\": ["
            + java.util.Arrays.toString(good)
            + ","
            + java.util.Arrays.toString(bad)
            + "], \"rewards\": [1, 0]}";
    Path html = dir.resolve("credit.html");
    Run r =
        run(
            line,
            "--algorithm",
            "grpo",
            "--model",
            "smollm2-135m-instruct",
            "--html",
            html.toString());
    assertEquals(0, r.status(), r.err());
    String page = Files.readString(html);
    assertTrue(page.contains(">␣capital</span>"), page);
    assertTrue(page.contains(">␣Paris</span>") && page.contains(">␣Lyon</span>"), page);
    assertTrue(page.contains("id=" + good[1]), page);
  }

  @Test
  void colourScaleIsWhiteAtZeroBlueForPositiveRedForNegative() {
    assertEquals(List.of(255, 255, 255), List.of(box(CreditHtml.color(0))));
    assertEquals(List.of(33, 102, 172), List.of(box(CreditHtml.color(1))));
    assertEquals(List.of(178, 24, 43), List.of(box(CreditHtml.color(-2))));
  }

  private static Integer[] box(int[] c) {
    return new Integer[] {c[0], c[1], c[2]};
  }

  /** Spec example T1's token rewards, printed for both responses, and the page. */
  @Test
  void tregPrintsTokenRewardsOfBothResponses(@TempDir Path dir) throws IOException {
    String line =
        "{\"chosen\": [4,5,6], \"rejected\": [4,7],"
            + " \"better_logp\": {\"chosen\": [-0.2,-1.0,-0.3], \"rejected\": [-2.0,-0.4]},"
            + " \"worse_logp\": {\"chosen\": [-0.9,-1.0,-0.1], \"rejected\": [-0.5,-0.6]}}";
    Path html = dir.resolve("treg.html");
    Run r = run(line, "--algorithm", "treg", "--html", html.toString());
    assertEquals(0, r.status(), r.err());
    JsonNode o = JSON.readTree(r.out().get(0));
    assertEquals(0.1681877722, o.get("token_reward_chosen").get(0).doubleValue(), 1e-9);
    assertEquals(-0.04983399731, o.get("token_reward_chosen").get(2).doubleValue(), 1e-9);
    assertEquals(-0.3175744762, o.get("token_reward_rejected").get(0).doubleValue(), 1e-9);
    assertEquals(2, o.get("token_reward_rejected").size());
    String page = Files.readString(html);
    assertTrue(page.contains("r=0.1682") && page.contains("rejected"), page);

    Run bad = run(line.replace("[-2.0,-0.4]", "[-2.0]"), "--algorithm", "treg");
    assertEquals(2, bad.status());
    assertTrue(bad.err().contains("better_logp.rejected") && bad.err().contains(":1:"), bad.err());
  }

  /** Spec example C1's weights; the first token (w = 0.98) is critical, the last is not. */
  @Test
  void cdpoPrintsScoresWeightsAndCriticalTokens(@TempDir Path dir) throws IOException {
    String line =
        "{\"rejected\": [1,2,0], \"z_pos\": [[2,1,0,-1],[0.5,0.5,0.5,0.5],[3,0,0,0]],"
            + " \"z_neg\": [[0,2,0,-1],[0.5,0.5,0.5,0.5],[3,0,0,0]]}";
    Path html = dir.resolve("cdpo.html");
    Run r = run(line, "--algorithm", "cdpo", "--html", html.toString());
    assertEquals(0, r.status(), r.err());
    JsonNode o = JSON.readTree(r.out().get(0));
    assertEquals(0.01755432157, o.get("scores").get(0).doubleValue(), 1e-9);
    assertEquals(0.1299514934, o.get("weights").get(2).doubleValue(), 1e-9);
    assertEquals("[1,1,0]", o.get("critical").toString());
    String page = Files.readString(html);
    assertEquals(2, page.split("class=\"tok crit\"", -1).length - 1, page);

    Run eos = run(line.replace("}", ", \"eos\": true}"), "--algorithm", "cdpo", "eos_weight=0.3");
    assertEquals(0, eos.status(), eos.err());
    assertEquals(0.3, JSON.readTree(eos.out().get(0)).get("weights").get(2).doubleValue(), 0);
  }

  @Test
  void showsTheTokenWeightsARunCachedWithItsPairs(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws IOException {
    java.nio.file.Path treg = tmp.resolve("treg.arrow");
    java.nio.file.Path cdpo = tmp.resolve("cdpo.arrow");
    java.nio.file.Path dpo = tmp.resolve("dpo.arrow");
    int[] prompt = {1, 40};
    int[] chosen = {20, 21, 2};
    int[] rejected = {20, 22, 2};
    float[] ref = {-1f, -2f, -0.5f};
    try (org.apache.arrow.memory.RootAllocator a = new org.apache.arrow.memory.RootAllocator()) {
      var p = new org.tokenrl.core.PreferencePair(0, prompt, chosen, rejected, ref, ref);
      try (var b =
          org.tokenrl.core.PreferenceBatch.of(
              a,
              org.tokenrl.core.PreferenceSchema.TokenWeights.TREG,
              List.of(
                  p.withTokenWeights(
                      new float[] {0.25f, 0f, -0.125f}, new float[] {-0.25f, 0.5f, 0f})))) {
        b.writeFile(treg);
      }
      try (var b =
          org.tokenrl.core.PreferenceBatch.of(
              a,
              org.tokenrl.core.PreferenceSchema.TokenWeights.CDPO,
              List.of(p.withTokenWeights(null, new float[] {0.25f, 0.75f, 1f})))) {
        b.writeFile(cdpo);
      }
      try (var b =
          org.tokenrl.core.PreferenceBatch.of(
              a, org.tokenrl.core.PreferenceSchema.TokenWeights.NONE, List.of(p))) {
        b.writeFile(dpo);
      }
    }
    java.nio.file.Path html = tmp.resolve("treg.html");
    Run r = run("", "--pairs", treg.toString(), "--html", html.toString());
    assertEquals(0, r.status(), r.err());
    var node = JSON.readTree(r.out().get(0));
    assertEquals(0.25, node.get("token_reward_chosen").get(0).asDouble(), 1e-12);
    assertEquals(0.5, node.get("token_reward_rejected").get(1).asDouble(), 1e-12);
    String page = java.nio.file.Files.readString(html);
    assertTrue(page.contains("⟨eos⟩"), "tokens are shown as text");

    Run c = run("", "--pairs", cdpo.toString());
    assertEquals(0, c.status(), c.err());
    var cn = JSON.readTree(c.out().get(0));
    assertEquals(0.75, cn.get("weights").get(1).asDouble(), 1e-12);
    assertEquals(0.75, cn.get("scores").get(0).asDouble(), 1e-12);
    assertEquals(0, cn.get("critical").get(0).asInt());
    assertEquals(1, cn.get("critical").get(1).asInt());

    Run d = run("", "--pairs", dpo.toString());
    assertEquals(2, d.status());
    assertTrue(d.err().contains("no token weights"), d.err());
    Run missing = run("", "--pairs", tmp.resolve("nope.arrow").toString());
    assertEquals(2, missing.status());
  }

  @Test
  void helpGoesToStdoutWithStatus0() {
    Run r = run("", "--help");
    assertEquals(0, r.status(), r.err());
    assertTrue(String.join("\n", r.out()).contains("--pairs"), r.out().toString());
  }
}
