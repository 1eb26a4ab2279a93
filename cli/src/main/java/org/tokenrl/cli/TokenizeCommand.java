package org.tokenrl.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.tokenrl.core.HfTokenizer;
import org.tokenrl.model.io.PretrainedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./tokenrl tokenize --model M}: text lines in, {@code {"ids": [...], "tokens": [...]}} out;
 * with {@code --decode}, JSON id arrays in, text out.
 */
@Command(
    name = "tokenize",
    description = {
      "encode stdin lines with a pretrained model's tokenizer (or decode id arrays)",
      "Each input line prints {\"ids\": [...], \"tokens\": [...]}: the model tokenizer's ids and"
          + " token strings (as in tokenizer.json, e.g. Ġthe). Special tokens written in the text"
          + " are matched as special tokens. With --decode each line is a JSON array of ids and"
          + " prints the decoded text (special tokens skipped)."
    })
final class TokenizeCommand extends CliCommand {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Mixin private ModelArgument model;

  @Option(names = "--decode", description = "read JSON id arrays and print text")
  private boolean decode;

  @Override
  int execute() throws Exception {
    HfTokenizer tok;
    try {
      tok = PretrainedModel.loadTokenizer(model.resolve(console()));
    } catch (IOException e) {
      throw new BadInput(e.getMessage());
    }
    BufferedReader in =
        new BufferedReader(new InputStreamReader(console().in(), StandardCharsets.UTF_8));
    int lineNo = 0;
    for (String line; (line = in.readLine()) != null; ) {
      lineNo++;
      if (decode) {
        console().out().println(tok.decode(ids(line, lineNo, tok.vocabSize())));
      } else {
        int[] ids = tok.encode(line);
        ObjectNode o = JSON.createObjectNode();
        ArrayNode idArray = o.putArray("ids");
        for (int id : ids) {
          idArray.add(id);
        }
        ArrayNode tokens = o.putArray("tokens");
        tok.tokens(ids).forEach(tokens::add);
        console().out().println(JSON.writeValueAsString(o));
      }
    }
    return 0;
  }

  private static int[] ids(String line, int lineNo, int vocab) throws BadInput {
    JsonNode a;
    try {
      a = JSON.readTree(line);
    } catch (IOException e) {
      a = null;
    }
    if (a == null || !a.isArray()) {
      throw new BadInput("stdin:" + lineNo + ": expected a JSON array of token ids");
    }
    int[] ids = new int[a.size()];
    for (int i = 0; i < ids.length; i++) {
      JsonNode v = a.get(i);
      if (!v.canConvertToInt() || v.asInt() < 0 || v.asInt() >= vocab) {
        throw new BadInput(
            "stdin:" + lineNo + ": " + v + " is not a token id in [0, " + vocab + ")");
      }
      ids[i] = v.asInt();
    }
    return ids;
  }
}
