package org.tokenrl.runlog;

import java.util.List;

/**
 * The layout of TensorBoard's Custom Scalars tab: categories of charts, each chart plotting every
 * scalar tag that matches one of its regular expressions on shared axes. The Scalars tab sorts
 * groups alphabetically, so {@code actor/clip_frac*} (flat 0 in most runs) comes first there; this
 * layout puts the charts a researcher reads first (reward, accuracy, length, KL and entropy) at the
 * top. Encoded as the custom_scalar plugin's {@code Layout} protobuf (layout.proto: Layout
 * {version=1, category=2}, Category {title=1, chart=2, closed=3}, Chart {title=1, multiline=2},
 * MultilineChartContent {tag=1}) under the tag the plugin reads, {@value #TAG}.
 */
public final class CustomScalars {
  public static final String TAG = "custom_scalars__config__";
  static final String PLUGIN = "custom_scalars";

  private CustomScalars() {}

  /** A chart of every scalar whose tag matches one of {@code tagRegexes}. */
  public record Chart(String title, List<String> tagRegexes) {
    public static Chart of(String title, String... tagRegexes) {
      return new Chart(title, List.of(tagRegexes));
    }
  }

  /** A row of charts; a {@code closed} one starts collapsed. */
  public record Category(String title, boolean closed, List<Chart> charts) {
    public static Category open(String title, Chart... charts) {
      return new Category(title, false, List.of(charts));
    }

    public static Category closed(String title, Chart... charts) {
      return new Category(title, true, List.of(charts));
    }
  }

  /** The serialized {@code Layout}. */
  static byte[] encode(List<Category> categories) {
    Protobuf layout = new Protobuf();
    for (Category c : categories) {
      Protobuf category = new Protobuf().string(1, c.title());
      for (Chart chart : c.charts()) {
        Protobuf multiline = new Protobuf();
        chart.tagRegexes().forEach(t -> multiline.string(1, t));
        category.message(2, new Protobuf().string(1, chart.title()).message(2, multiline));
      }
      if (c.closed()) {
        category.varint(3, 1);
      }
      layout.message(2, category);
    }
    return layout.toByteArray();
  }
}
