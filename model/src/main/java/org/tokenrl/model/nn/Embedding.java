package org.tokenrl.model.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.tokenrl.model.Params;

/**
 * Row lookup in a [rows, d] table by index, and its gradient: the output gradient of each lookup is
 * scatter-added into the table's gradient row (repeated ids accumulate). No one-hot input exists.
 */
public final class Embedding {
  private final INDArray table;
  private final INDArray dTable;
  private int[] ids;

  public Embedding(Params p, String name) {
    table = p.get(name);
    dTable = p.grad(name);
  }

  /** ids [R] -> rows [R, d]. */
  public INDArray forward(int[] ids, boolean train) {
    long rows = table.size(0);
    for (int id : ids) {
      if (id < 0 || id >= rows) {
        throw new IllegalArgumentException(
            "token id " + id + " is outside the embedding table [0, " + rows + ")");
      }
    }
    this.ids = train ? ids : null;
    return Nd4j.pullRows(table, 1, ids);
  }

  public void backward(INDArray dy) {
    if (dTable != null) { // null: frozen (LoRA), nothing to accumulate
      scatterAddRows(dTable, ids, dy);
    }
    ids = null;
  }

  /** In place: table[ids[r]] += rows[r] (repeated ids accumulate). */
  public static void scatterAddRows(INDArray table, int[] ids, INDArray rows) {
    if (CpuKernels.scatterAddRows(table, ids, rows)) {
      return;
    }
    Nd4j.exec(
        DynamicCustomOp.builder("scatter_add")
            .addInputs(table, Nd4j.createFromArray(ids), rows)
            .addOutputs(table)
            .build());
  }
}
