package org.tokenrl.model;

import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Teacher-forced inputs of a batch of (prompt, response) pairs for the full graph: the sequence
 * prompt ++ response without its last token, right-padded; response token t of row i is the target
 * predicted at slot {@code prompt.length - 1 + t}.
 */
final class TeacherForced {
  final PackedBatch batch;
  private final TransformerGraph graph;
  private final ModelConfig cfg;
  private final int[][] prompts;
  private final int[][] responses;
  private final double temperature;

  /** Validates the pairs and packs them (every prompt needs at least one token, e.g. BOS). */
  static TeacherForced of(
      TransformerGraph graph, int[][] prompts, int[][] responses, double temperature) {
    if (prompts.length != responses.length) {
      throw new IllegalArgumentException(
          prompts.length + " prompts but " + responses.length + " responses");
    }
    if (!(temperature > 0)) {
      throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
    }
    int[][] inputs = new int[prompts.length][];
    for (int i = 0; i < prompts.length; i++) {
      if (prompts[i].length == 0) {
        throw new IllegalArgumentException("prompt " + i + " is empty: start prompts with BOS");
      }
      int[] sequence = java.util.Arrays.copyOf(prompts[i], prompts[i].length + responses[i].length);
      System.arraycopy(responses[i], 0, sequence, prompts[i].length, responses[i].length);
      inputs[i] = java.util.Arrays.copyOf(sequence, sequence.length - 1);
    }
    return new TeacherForced(
        graph, PackedBatch.rightPadded(inputs), prompts, responses, temperature);
  }

  private TeacherForced(
      TransformerGraph graph,
      PackedBatch batch,
      int[][] prompts,
      int[][] responses,
      double temperature) {
    this.graph = graph;
    this.cfg = graph.cfg;
    this.batch = batch;
    this.prompts = prompts;
    this.responses = responses;
    this.temperature = temperature;
  }

  int flatRow(int row, int t) {
    return batch.flatRow(row, prompts[row].length - 1 + t);
  }

  Map<String, INDArray> placeholders() {
    return batch.inputs(cfg, graph.dtype, temperature);
  }

  INDArray targetOneHot() { // [NT, V]
    int v = cfg.vocabSize();
    float[] data = new float[batch.rows * batch.slots * v];
    for (int i = 0; i < responses.length; i++) {
      for (int t = 0; t < responses[i].length; t++) {
        int y = responses[i][t];
        if (y < 0 || y >= v) {
          throw new IllegalArgumentException(
              "response token " + y + " (row " + i + ") is outside the vocabulary [0, " + v + ")");
        }
        data[flatRow(i, t) * v + y] = 1f;
      }
    }
    return Tensors.array(data, graph.dtype, (long) batch.rows * batch.slots, v);
  }

  /** coef[NT, V] = targetCoef at the target id + vocabCoef over the vocabulary. */
  INDArray coefficients(double[][] targetCoef, float[][][] vocabCoef) {
    int v = cfg.vocabSize();
    double[] data = new double[batch.rows * batch.slots * v];
    for (int i = 0; i < responses.length; i++) {
      for (int t = 0; t < responses[i].length; t++) {
        int base = flatRow(i, t) * v;
        if (vocabCoef != null) {
          if (vocabCoef[i][t].length != v) {
            throw new IllegalArgumentException(
                "vocabCoef["
                    + i
                    + "]["
                    + t
                    + "] has "
                    + vocabCoef[i][t].length
                    + " entries, vocabulary has "
                    + v);
          }
          for (int k = 0; k < v; k++) {
            data[base + k] = vocabCoef[i][t][k];
          }
        }
        data[base + responses[i][t]] += targetCoef[i][t];
      }
    }
    return Nd4j.create(data, new long[] {(long) batch.rows * batch.slots, v}, DataType.DOUBLE)
        .castTo(graph.dtype);
  }
}
