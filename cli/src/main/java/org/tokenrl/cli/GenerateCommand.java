package org.tokenrl.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.tokenrl.core.ChatTemplate;
import org.tokenrl.model.Generation;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.model.io.PretrainedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./tokenrl generate --model M --prompt TEXT [--chat] ...}: one completion. */
@Command(
    name = "generate",
    description = {
      "complete a prompt with a pretrained model (greedy by default)",
      "Prints the completion (special tokens skipped); with --json one object {\"prompt_ids\":"
          + " [...], \"ids\": [...], \"text\": \"...\"}: prompt_ids are the ids fed to the model"
          + " (after the chat template with --chat), ids the new tokens up to and including the"
          + " stop token."
    })
final class GenerateCommand extends CliCommand {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Mixin private ModelArgument model;

  @Option(names = "--prompt", paramLabel = "TEXT", description = "the prompt")
  private String prompt;

  @Option(
      names = "--prompts-file",
      paramLabel = "FILE",
      description =
          "one prompt per line, completed in batches (--batch); prints one JSON line per prompt"
              + " {\"prompt\", \"text\", \"ids\"}")
  private java.nio.file.Path promptsFile;

  @Option(
      names = "--batch",
      paramLabel = "N",
      description = "rows per batch with --prompts-file (default 16)")
  private int batch = 16;

  @Option(names = "--chat", description = "wrap the prompt as a user turn in the chat template")
  private boolean chat;

  @Option(
      names = "--system",
      paramLabel = "TEXT",
      description = "system message (with --chat; default: the template's own)")
  private String system;

  @Option(names = "--max-new-tokens", paramLabel = "N", description = "default 128")
  private int maxNewTokens = 128;

  @Option(names = "--temperature", paramLabel = "T", description = "0 = greedy (default)")
  private double temperature = 0;

  @Option(names = "--top-p", paramLabel = "P", description = "nucleus sampling mass (default 1)")
  private double topP = 1.0;

  @Option(names = "--seed", paramLabel = "S", description = "sampling seed (default 0)")
  private long seed = 0;

  @Option(names = "--json", description = "print one JSON object instead of the text")
  private boolean json;

  @Override
  int execute() throws Exception {
    if ((prompt == null) == (promptsFile == null)) {
      return fail("give exactly one of --prompt and --prompts-file");
    }
    if (system != null && !chat) {
      return fail("--system needs --chat");
    }
    if (prompt != null && prompt.isEmpty() && !chat) {
      // Found before the model loads: without a chat template there is nothing to continue.
      return fail("--prompt is empty: give the text to continue (or --chat for a chat turn)");
    }
    if (maxNewTokens < 1) {
      return fail("--max-new-tokens must be >= 1, got " + maxNewTokens);
    }
    if (!(temperature >= 0)) {
      return fail("--temperature must be >= 0, got " + temperature);
    }
    if (!(topP > 0 && topP <= 1)) {
      return fail("--top-p must be in (0, 1], got " + topP);
    }
    PretrainedModel m;
    int[] promptIds;
    List<String> texts;
    try {
      m = PretrainedModel.load(model.resolve(console()));
      texts =
          promptsFile == null
              ? List.of(prompt)
              : java.nio.file.Files.readAllLines(promptsFile).stream()
                  .filter(l -> !l.isBlank())
                  .toList();
      if (promptsFile != null) {
        return generateAll(m, texts);
      }
      promptIds = encode(m, prompt);
    } catch (IOException | ChatTemplate.TemplateException e) {
      throw new BadInput(e.getMessage());
    }
    if (promptIds.length + maxNewTokens > m.config().maxPositionEmbeddings()) {
      return fail(
          "prompt ("
              + promptIds.length
              + " tokens) + --max-new-tokens "
              + maxNewTokens
              + " exceeds the model's context of "
              + m.config().maxPositionEmbeddings());
    }
    SamplingParams params = params(m);
    int[] ids;
    try (Policy policy = m.newPolicy(OptimizerConfig.defaults(1e-5))) {
      Generation g = policy.generate(new int[][] {promptIds}, params, new long[] {seed});
      ids = g.responses()[0];
    }
    String text = m.tokenizer().decode(ids);
    if (json) {
      ObjectNode o = JSON.createObjectNode();
      ArrayNode p = o.putArray("prompt_ids");
      for (int id : promptIds) {
        p.add(id);
      }
      ArrayNode n = o.putArray("ids");
      for (int id : ids) {
        n.add(id);
      }
      o.put("text", text);
      console().out().println(JSON.writeValueAsString(o));
    } else {
      console().out().println(text);
    }
    return 0;
  }

  private int[] encode(PretrainedModel m, String text) throws IOException {
    if (!chat) {
      return m.tokenizer().encode(text);
    }
    List<ChatTemplate.Message> messages = new ArrayList<>();
    if (system != null) {
      messages.add(new ChatTemplate.Message("system", system));
    }
    messages.add(new ChatTemplate.Message("user", text));
    return m.encodeChat(messages, true);
  }

  private SamplingParams params(PretrainedModel m) {
    boolean greedy = temperature == 0;
    return new SamplingParams(
        greedy ? 1.0 : temperature,
        0,
        topP,
        maxNewTokens,
        m.tokenizer().eos(),
        greedy,
        m.tokenizer().stopIds());
  }

  /** --prompts-file: batches of left-padded prompts, one JSON line per prompt in file order. */
  private int generateAll(PretrainedModel m, List<String> texts) throws IOException {
    if (batch < 1) {
      return fail("--batch must be >= 1, got " + batch);
    }
    SamplingParams params = params(m);
    try (Policy policy = m.newPolicy(OptimizerConfig.defaults(1e-5))) {
      for (int from = 0; from < texts.size(); from += batch) {
        int to = Math.min(texts.size(), from + batch);
        int[][] prompts = new int[to - from][];
        long[] seeds = new long[to - from];
        for (int i = from; i < to; i++) {
          prompts[i - from] = encode(m, texts.get(i));
          seeds[i - from] = seed + i;
        }
        Generation g = policy.generate(prompts, params, seeds);
        for (int i = from; i < to; i++) {
          int[] ids = g.responses()[i - from];
          ObjectNode o = JSON.createObjectNode();
          o.put("prompt", texts.get(i));
          o.put("text", m.tokenizer().decode(ids));
          ArrayNode n = o.putArray("ids");
          for (int id : ids) {
            n.add(id);
          }
          console().out().println(JSON.writeValueAsString(o));
        }
        console().out().flush();
      }
    }
    return 0;
  }
}
