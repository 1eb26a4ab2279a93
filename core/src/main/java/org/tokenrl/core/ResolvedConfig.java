package org.tokenrl.core;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import java.util.List;

/**
 * A fully merged, resolved and validated run configuration, with the files and overrides it came
 * from in merge order (later wins).
 */
public record ResolvedConfig(Config config, List<String> sources) {
  public ResolvedConfig {
    sources = List.copyOf(sources);
  }

  /**
   * HOCON text of the config, each value preceded by a comment naming the file and line (or the
   * command-line override) it came from. Written to each run directory as config.conf; {@link
   * ConfigLoader#loadResolved} reads it back to the same config.
   */
  public String render() {
    StringBuilder text = new StringBuilder();
    text.append("# Resolved tokenrl config. Merged from (later wins):\n");
    for (String source : sources) {
      text.append("#   ").append(source.replace('\n', ' ')).append('\n');
    }
    text.append("# Comments above each value name the file and line it came from.\n\n");
    ConfigRenderOptions options =
        ConfigRenderOptions.defaults().setOriginComments(true).setComments(false).setJson(false);
    text.append(config.root().render(options));
    return text.toString();
  }
}
