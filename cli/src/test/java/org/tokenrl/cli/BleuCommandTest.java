package org.tokenrl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tokenrl.core.PrintedDecimal;
import org.tokenrl.rewards.BleuConfig;
import org.tokenrl.rewards.Smoothing;
import org.tokenrl.rewards.TensorBleu;

class BleuCommandTest {
  private static final String B1 =
      "{\"candidate\": [5,6,7,8,9,10], \"references\": [[5,6,7,8,9,11]]}";
  private static final String B2 =
      "{\"candidate\": [3,3,3,3], \"references\": [[3,4,5,3,6],[7,3,8]]}";

  /** Exit code, stdout and stderr of one run. */
  private record Result(int code, String out, String err) {
    String[] lines() {
      return out.strip().split("\n");
    }
  }

  private static Result run(String stdin, String... args) {
    String[] line = new String[args.length + 1];
    line[0] = "bleu";
    System.arraycopy(args, 0, line, 1, args.length);
    CliRun r = CliRun.withInput(stdin, line);
    return new Result(r.code(), r.out(), r.err());
  }

  @Test
  void printsOneDoubleToStringPerLine() {
    Result r = run(B1 + "\n\n" + B2 + "\n", "--smoothing", "method1");
    assertEquals(0, r.code, r.err);
    String[] lines = r.lines();
    assertEquals(2, lines.length);
    double[] expected =
        new TensorBleu(BleuConfig.of(4, Smoothing.METHOD1))
            .sentenceBleu(
                new int[][] {{5, 6, 7, 8, 9, 10}, {3, 3, 3, 3}},
                new int[][][] {{{5, 6, 7, 8, 9, 11}}, {{3, 4, 5, 3, 6}, {7, 3, 8}}});
    assertEquals(Double.toString(expected[0]), lines[0]);
    assertEquals(Double.toString(expected[1]), lines[1]);
    PrintedDecimal.assertMatches("0.0955442792", Double.parseDouble(lines[1]), "B-2 method1");
  }

  @Test
  void defaultSmoothingIsMethod0LikeNltk() {
    Result r = run(B2);
    PrintedDecimal.assertMatches("1.5319719891e-231", Double.parseDouble(r.out.strip()), "B-2 m0");
  }

  @Test
  void corpusPrintsOneScore() {
    String in =
        "{\"candidate\": [1,2,3,4], \"references\": [[1,2,3,4]]}\n"
            + "{\"candidate\": [5,6], \"references\": [[5,6,7]]}\n";
    Result nltk = run(in, "--corpus");
    assertEquals(1, nltk.lines().length);
    PrintedDecimal.assertMatches("0.6431870218", Double.parseDouble(nltk.out.strip()), "C-1");
    Result compat = run(in, "--corpus", "--mode", "tensorbleu", "--smoothing", "method3");
    PrintedDecimal.assertMatches("0.5033210450", Double.parseDouble(compat.out.strip()), "C-1 exp");
  }

  @Test
  void maxNAndWeights() {
    String in = "{\"candidate\": [1,2,3], \"references\": [[1,2,4]]}";
    // Unigrams 2/3 and bigrams 1/2, BP 1: BLEU-2 = sqrt(2/3 * 1/2), weighted (0.75, 0.25) differs.
    assertEquals(Math.sqrt(1.0 / 3), Double.parseDouble(run(in, "--max-n", "2").out), 1e-15);
    double weighted = Math.exp(0.75 * Math.log(2.0 / 3) + 0.25 * Math.log(0.5));
    assertEquals(weighted, Double.parseDouble(run(in, "--weights", "0.75,0.25").out), 1e-15);
    assertEquals(2, run(in, "--max-n", "3", "--weights", "0.75,0.25").code);
  }

  @Test
  void readsInputFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("in.jsonl");
    Files.writeString(file, B1 + "\n");
    Result r = run("", "--input", file.toString());
    assertEquals(0, r.code, r.err);
    PrintedDecimal.assertMatches("0.7598356857", Double.parseDouble(r.out.strip()), "B-1");
    assertEquals(2, run("", "--input", dir.resolve("missing.jsonl").toString()).code);
  }

  @Test
  void malformedLineReportsItsNumber() {
    String[] bad = {
      "{\"candidate\": [1,2], \"references\": [[1,2]]",
      "{\"candidate\": [1,2]}",
      "{\"candidate\": [1,-2], \"references\": [[1,2]]}",
      "{\"candidate\": [1,2.5], \"references\": [[1,2]]}",
      "{\"candidate\": [1,2], \"references\": []}",
      "[1,2]",
    };
    for (String line : bad) {
      Result r = run(B1 + "\n" + B2 + "\n\n" + "\n" + B1 + "\n\n" + line + "\n" + B1 + "\n");
      assertEquals(2, r.code, line);
      assertTrue(r.err.startsWith("tokenrl bleu: line 7: "), line + " -> " + r.err);
      assertEquals("", r.out);
    }
  }

  @Test
  void helpAndBadOptions() {
    Result help = run("", "--help");
    assertEquals(0, help.code);
    assertTrue(help.out.contains("--smoothing"));
    assertEquals(2, run("", "--smoothing", "method9").code);
    assertEquals(2, run("", "--mode", "sacre").code);
    assertEquals(2, run("", "--max-n").code);
    Result unknown = run("", "--fast");
    assertEquals(2, unknown.code);
    assertTrue(unknown.err.contains("Unknown option: '--fast'"), unknown.err);
    assertEquals(1, unknown.err.strip().lines().count(), unknown.err);
  }
}
