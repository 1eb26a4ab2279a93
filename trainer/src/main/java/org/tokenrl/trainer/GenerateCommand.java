package org.tokenrl.trainer;

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
import org.tokenrl.model.PretrainedModel;
import org.tokenrl.model.SamplingParams;
import picocli.CommandLine.Command;
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

  @Option(
      names = "--model",
      required = true,
      paramLabel = "PATH_OR_NAME",
      description = "HF model directory, .gguf file, or a known name (smollm2-135m-instruct)")
  private String model;

  @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "the prompt")
  private String prompt;

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
    if (system != null && !chat) {
      return fail("--system needs --chat");
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
    try {
      m = PretrainedModel.load(ModelArgument.resolve(model, console()));
      if (chat) {
        List<ChatTemplate.Message> messages = new ArrayList<>();
        if (system != null) {
          messages.add(new ChatTemplate.Message("system", system));
        }
        messages.add(new ChatTemplate.Message("user", prompt));
        promptIds = m.encodeChat(messages, true);
      } else {
        promptIds = m.tokenizer().encode(prompt);
      }
    } catch (IOException | ChatTemplate.TemplateException e) {
      throw new BadInput(e.getMessage());
    }
    if (promptIds.length + maxNewTokens > m.config().maxPositionEmbeddings()) {
      return fail(
          "prompt (" + promptIds.length + " tokens) + --max-new-tokens " + maxNewTokens
              + " exceeds the model's context of " + m.config().maxPositionEmbeddings());
    }
    boolean greedy = temperature == 0;
    SamplingParams params =
        new SamplingParams(
            greedy ? 1.0 : temperature,
            0,
            topP,
            maxNewTokens,
            m.tokenizer().eos(),
            greedy,
            m.tokenizer().stopIds());
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
}
