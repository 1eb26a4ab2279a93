package org.tokenrl.rewards;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code tokenrl bleu}: BLEU of token-id sentences read as JSON lines, one score per line.
 *
 * <p>Input lines look like {@code {"candidate": [5, 6, 7], "references": [[5, 6], [5, 6, 7, 8]]}};
 * blank lines are skipped. Exit codes: 0 success, 2 bad option or malformed input.
 */
public final class BleuCommand {
  static final String USAGE =
      """
      Usage: tokenrl bleu [--input FILE] [options]
      Reads JSON lines {"candidate": [ids], "references": [[ids], ...]} from FILE (or stdin) and
      prints one BLEU score per line, or one corpus score with --corpus.
        --input FILE           read from FILE instead of stdin
        --smoothing METHOD     method0 (default, as NLTK), method1, method2 or method3
        --max-n N              highest n-gram order (default 4); weights are uniform 1/N
        --weights W1,W2,...    explicit weights, one per order (sets N when --max-n is absent)
        --corpus               print NLTK corpus_bleu of all lines instead of one score per line
        --mode nltk|tensorbleu nltk (default): equal to NLTK; tensorbleu: reproduce the TensorBLEU
                               code, including its deviations (id 0 is padding)
        --help                 show this help
      """;

  private static final ObjectMapper JSON = new ObjectMapper();

  private BleuCommand() {}

  /** Runs the command; returns the process exit code. */
  public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    Options opts;
    try {
      opts = Options.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("tokenrl bleu: " + e.getMessage());
      err.println("Run 'tokenrl bleu --help' for usage.");
      return 2;
    }
    if (opts.help) {
      out.print(USAGE);
      return 0;
    }
    List<int[]> cands = new ArrayList<>();
    List<int[][]> refs = new ArrayList<>();
    try (BufferedReader reader =
        opts.input == null
            ? new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))
            : Files.newBufferedReader(Path.of(opts.input), StandardCharsets.UTF_8)) {
      int lineNo = 0;
      for (String line; (line = reader.readLine()) != null; ) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        try {
          JsonNode node = JSON.readTree(line);
          if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("expected a JSON object");
          }
          cands.add(ids(node.get("candidate"), "candidate"));
          refs.add(references(node.get("references")));
        } catch (JsonProcessingException e) {
          err.println("line " + lineNo + ": invalid JSON: " + e.getOriginalMessage());
          return 2;
        } catch (IllegalArgumentException e) {
          err.println("line " + lineNo + ": " + e.getMessage());
          return 2;
        }
      }
    } catch (IOException e) {
      err.println("tokenrl bleu: cannot read " + (opts.input == null ? "stdin" : opts.input)
          + ": " + e.getMessage());
      return 2;
    }
    TensorBleu bleu = new TensorBleu(opts.config);
    int[][] c = cands.toArray(new int[0][]);
    int[][][] r = refs.toArray(new int[0][][]);
    if (opts.corpus) {
      out.println(Double.toString(bleu.corpusBleu(c, r)));
    } else {
      for (double s : bleu.sentenceBleu(c, r)) {
        out.println(Double.toString(s));
      }
    }
    out.flush();
    return 0;
  }

  private static int[][] references(JsonNode node) {
    if (node == null || !node.isArray() || node.isEmpty()) {
      throw new IllegalArgumentException(
          "\"references\" must be a non-empty array of token-id arrays");
    }
    int[][] refs = new int[node.size()][];
    for (int i = 0; i < refs.length; i++) {
      refs[i] = ids(node.get(i), "references[" + i + "]");
    }
    return refs;
  }

  private static int[] ids(JsonNode node, String what) {
    if (node == null || !node.isArray()) {
      throw new IllegalArgumentException("\"" + what + "\" must be an array of token ids");
    }
    int[] ids = new int[node.size()];
    for (int i = 0; i < ids.length; i++) {
      JsonNode v = node.get(i);
      if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
        throw new IllegalArgumentException(
            what + "[" + i + "] = " + v + " is not a token id (a non-negative integer)");
      }
      ids[i] = v.intValue();
    }
    return ids;
  }

  /** Parsed command-line options. */
  private record Options(String input, BleuConfig config, boolean corpus, boolean help) {
    static Options parse(String[] args) {
      String input = null;
      Smoothing smoothing = Smoothing.METHOD0;
      Integer maxN = null;
      double[] weights = null;
      boolean corpus = false;
      BleuMode mode = BleuMode.NLTK_EXACT;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        switch (a) {
          case "--help", "-h" -> {
            return new Options(null, BleuConfig.DEFAULT, false, true);
          }
          case "--corpus" -> corpus = true;
          case "--input" -> input = value(args, ++i, a);
          case "--smoothing" -> smoothing = Smoothing.parse(value(args, ++i, a));
          case "--max-n" -> maxN = positiveInt(value(args, ++i, a));
          case "--weights" -> weights = weightList(value(args, ++i, a));
          case "--mode" -> mode = mode(value(args, ++i, a));
          default -> throw new IllegalArgumentException("unknown option '" + a + "'");
        }
      }
      int n = maxN != null ? maxN : weights != null ? weights.length : 4;
      if (weights != null && weights.length != n) {
        throw new IllegalArgumentException(
            "--weights has " + weights.length + " values but --max-n is " + n);
      }
      double[] w = weights != null ? weights : BleuConfig.uniformWeights(n);
      return new Options(input, new BleuConfig(n, w, smoothing, mode), corpus, false);
    }

    private static String value(String[] args, int i, String option) {
      if (i >= args.length) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      return args[i];
    }

    private static int positiveInt(String s) {
      try {
        int n = Integer.parseInt(s.trim());
        if (n >= 1) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException("--max-n must be a positive integer, got '" + s + "'");
    }

    private static double[] weightList(String s) {
      String[] parts = s.split(",");
      double[] w = new double[parts.length];
      try {
        for (int i = 0; i < parts.length; i++) {
          w[i] = Double.parseDouble(parts[i].trim());
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "--weights must be comma-separated numbers like 0.25,0.25,0.25,0.25, got '" + s + "'");
      }
      return w;
    }

    private static BleuMode mode(String s) {
      return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
        case "nltk" -> BleuMode.NLTK_EXACT;
        case "tensorbleu" -> BleuMode.TENSORBLEU_COMPAT;
        default -> throw new IllegalArgumentException(
            "--mode must be nltk or tensorbleu, got '" + s + "'");
      };
    }
  }
}
