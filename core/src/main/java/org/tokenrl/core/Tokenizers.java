package org.tokenrl.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Rebuilds a tokenizer from the JSON stored beside a checkpoint. */
public final class Tokenizers {
  private Tokenizers() {}

  public static Tokenizer fromJson(String json) {
    try {
      JsonNode node = new ObjectMapper().readTree(json);
      String type = node.path("type").asText("");
      if (type.equals("char")) {
        return new CharTokenizer(node.path("alphabet").asText());
      }
      if (type.equals("hf")) {
        return HfTokenizer.fromToJson(node);
      }
      throw new IllegalArgumentException("unknown tokenizer type '" + type + "' (known: char, hf)");
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
  }
}
