package org.tokenrl.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tokenrl.rewards.BleuConfig;
import org.tokenrl.rewards.BleuMode;
import org.tokenrl.rewards.Smoothing;
import org.tokenrl.rewards.TensorBleu;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code tokenrl bleu}: BLEU of token-id sentences read as JSON lines, one score per line.
 *
 * <p>Input lines look like {@code {"candidate": [5, 6, 7], "references": [[5, 6], [5, 6, 7, 8]]}};
 * blank lines are skipped. Exit codes: 0 success, 2 bad option or malformed input.
 */
@Command(
    name = "bleu",
    description = {
      "per-sentence or corpus BLEU on token ids (NLTK-exact), one score per line",
      "Reads JSON lines {\"candidate\": [ids], \"references\": [[ids], ...]} from FILE (or stdin)"
          + " and prints one BLEU score per line, or one corpus score with --corpus."
    })
final class BleuCommand extends CliCommand {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--input", paramLabel = "FILE", description = "read from FILE instead of stdin")
  private Path input;

  @Option(
      names = "--smoothing",
      paramLabel = "METHOD",
      converter = SmoothingName.class,
      description = "method0 (default, as NLTK), method1, method2 or method3")
  private Smoothing smoothing = Smoothing.METHOD0;

  @Option(
      names = "--max-n",
      paramLabel = "N",
      description = "highest n-gram order (default 4); weights are uniform 1/N")
  private Integer maxN;

  @Option(
      names = "--weights",
      paramLabel = "W",
      split = ",",
      description = "explicit weights, one per order (sets N when --max-n is absent)")
  private double[] weights;

  @Option(
      names = "--corpus",
      description = "print NLTK corpus_bleu of all lines instead of one score per line")
  private boolean corpus;

  @Option(
      names = "--mode",
      paramLabel = "nltk|tensorbleu",
      converter = ModeName.class,
      description = {
        "nltk (default): equal to NLTK; tensorbleu: reproduce the TensorBLEU code, including its"
            + " deviations (id 0 is padding)"
      })
  private BleuMode mode = BleuMode.NLTK_EXACT;

  @Override
  int execute() {
    if (maxN != null && maxN < 1) {
      return fail("--max-n must be a positive integer, got " + maxN);
    }
    int n = maxN != null ? maxN : weights != null ? weights.length : 4;
    if (weights != null && weights.length != n) {
      return fail("--weights has " + weights.length + " values but --max-n is " + n);
    }
    BleuConfig config =
        new BleuConfig(
            n, weights != null ? weights : BleuConfig.uniformWeights(n), smoothing, mode);
    List<int[]> cands = new ArrayList<>();
    List<int[][]> refs = new ArrayList<>();
    try (BufferedReader reader =
        input == null
            ? new BufferedReader(new InputStreamReader(console().in(), StandardCharsets.UTF_8))
            : Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
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
          return fail("line " + lineNo + ": invalid JSON: " + e.getOriginalMessage());
        } catch (IllegalArgumentException e) {
          return fail("line " + lineNo + ": " + e.getMessage());
        }
      }
    } catch (IOException e) {
      return fail("cannot read " + (input == null ? "stdin" : input) + ": " + e.getMessage());
    }
    TensorBleu bleu = new TensorBleu(config);
    int[][] c = cands.toArray(new int[0][]);
    int[][][] r = refs.toArray(new int[0][][]);
    PrintStream out = console().out();
    if (corpus) {
      out.println(Double.toString(bleu.corpusBleu(c, r)));
    } else {
      for (double s : bleu.sentenceBleu(c, r)) {
        out.println(Double.toString(s));
      }
    }
    out.flush();
    return 0;
  }

  /** "method0".."method3", the names NLTK uses. */
  static final class SmoothingName implements ITypeConverter<Smoothing> {
    @Override
    public Smoothing convert(String value) {
      try {
        return Smoothing.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  static final class ModeName implements ITypeConverter<BleuMode> {
    @Override
    public BleuMode convert(String value) {
      return switch (value.trim().toLowerCase(Locale.ROOT)) {
        case "nltk" -> BleuMode.NLTK_EXACT;
        case "tensorbleu" -> BleuMode.TENSORBLEU_COMPAT;
        default -> throw new TypeConversionException("use nltk or tensorbleu, got '" + value + "'");
      };
    }
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
}
