package org.tokenrl.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tokenrl.model.arch.GptConfig;

/** Same seed => bit-identical weights, updates, scores and samples, in this JVM and another. */
class DeterminismTest {
  static final GptConfig CFG = new GptConfig(11, 16, 2, 2, 32, 20);

  /** SHA-256 over weights after init and two updates, scores and a sampled generation. */
  static String fingerprint(long seed) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    Policy p = Policy.create(CFG, OptimizerConfig.defaults(1e-2), seed);
    digest(md, p.exportWeights());
    int[][] prompts = {{0, 1, 2}, {0, 4}};
    Generation g =
        p.generate(prompts, new SamplingParams(1.0, 5, 0.9, 8, 3, false), new long[] {7, 8});
    for (int[] r : g.responses()) {
      for (int t : r) {
        md.update((byte) t);
      }
    }
    double[][] coef = {new double[g.responses()[0].length], new double[g.responses()[1].length]};
    for (double[] c : coef) {
      java.util.Arrays.fill(c, -0.25);
    }
    for (int i = 0; i < 2; i++) {
      UpdateStats s = p.update(prompts, g.responses(), coef, null, 1.0);
      md.update(ByteBuffer.allocate(16).putDouble(s.loss()).putDouble(s.gradNorm()).array());
    }
    digest(md, p.exportWeights());
    for (double[] row : p.score(prompts, g.responses(), 0.7).logprobs()) {
      for (double x : row) {
        md.update(ByteBuffer.allocate(8).putDouble(x).array());
      }
    }
    return java.util.HexFormat.of().formatHex(md.digest());
  }

  private static void digest(MessageDigest md, Map<String, float[]> weights) {
    weights.forEach(
        (k, w) -> {
          md.update(k.getBytes(StandardCharsets.UTF_8));
          ByteBuffer b = ByteBuffer.allocate(4 * w.length);
          b.asFloatBuffer().put(w);
          md.update(b.array());
        });
  }

  /** Entry point for the second JVM. */
  public static void main(String[] args) throws Exception {
    System.out.println("FINGERPRINT " + fingerprint(Long.parseLong(args[0])));
  }

  @Test
  void sameSeedGivesIdenticalResultsInThisJvmAndAnother() throws Exception {
    String here = fingerprint(5);
    assertEquals(here, fingerprint(5));
    assertNotEquals(here, fingerprint(6));

    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-Xmx512m", "-cp", System.getProperty("java.class.path")));
    cmd.addAll(List.of(DeterminismTest.class.getName(), "5"));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("OMP_NUM_THREADS", "1");
    Process proc = pb.start();
    String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, proc.waitFor(), out);
    String line =
        out.lines().filter(l -> l.startsWith("FINGERPRINT ")).findFirst().orElse("none: " + out);
    assertEquals("FINGERPRINT " + here, line);
  }
}
