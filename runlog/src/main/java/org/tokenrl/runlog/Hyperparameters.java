package org.tokenrl.runlog;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's row of TensorBoard's HPARAMS tab, as plain values: the columns (in order) and this run's
 * value of each column it has. The trainer decides both from its config; this module only writes
 * them ({@link HParams}).
 *
 * @param columns every run's columns: TensorBoard takes them from whichever run it reads first, so
 *     runs of different algorithms must list the same ones
 * @param values this run's values by column key, each a {@link Double}, {@link Boolean} or {@link
 *     String}; a column the run lacks (e.g. {@code algorithm.td_weight} on a GRPO run) is absent
 *     and shows blank
 * @param differing the columns whose values differ between the runs of the log directory:
 *     TensorBoard's HPARAMS table shows five columns at first, those marked as differing first
 */
public record Hyperparameters(
    List<Column> columns, Map<String, Object> values, java.util.Set<String> differing) {

  /** Columns with no differing ones marked. */
  public Hyperparameters(List<Column> columns, Map<String, Object> values) {
    this(columns, values, java.util.Set.of());
  }

  /** A column's type; the numbers are the hparams plugin's {@code DataType}. */
  public enum Type {
    STRING(1),
    BOOL(2),
    NUMBER(3);

    final int proto;

    Type(int proto) {
      this.proto = proto;
    }
  }

  /** One column: a config key and its type. */
  public record Column(String key, Type type) {}

  public Hyperparameters {
    differing = java.util.Set.copyOf(differing);
    columns = List.copyOf(columns);
    values = new LinkedHashMap<>(values);
    List<String> keys = new ArrayList<>();
    columns.forEach(c -> keys.add(c.key()));
    for (Map.Entry<String, Object> e : values.entrySet()) {
      if (!keys.contains(e.getKey())) {
        throw new IllegalArgumentException("hyperparameter " + e.getKey() + " has no column");
      }
      Object v = e.getValue();
      if (!(v instanceof Double || v instanceof Boolean || v instanceof String)) {
        throw new IllegalArgumentException(
            "hyperparameter " + e.getKey() + " must be a Double, Boolean or String, got " + v);
      }
    }
    values = java.util.Collections.unmodifiableMap(values);
  }
}
