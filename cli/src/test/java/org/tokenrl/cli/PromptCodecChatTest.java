package org.tokenrl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tokenrl.core.HfTokenizer;
import org.tokenrl.model.io.PretrainedModel;
import org.tokenrl.rollout.Example;
import org.tokenrl.trainer.setup.ChatFormat;
import org.tokenrl.trainer.setup.PromptCodec;

/**
 * JSONL conversations in SmolLM2's chat template: the turns as given (their own system turn wins
 * over task.system), task.instruction after the last user turn, and the same ids as the plain
 * prompt path when the conversation is a single user turn.
 */
class PromptCodecChatTest {
  @Test
  void conversationsRenderTheirTurnsWithTheInstructionOnTheLastOne() throws Exception {
    HfTokenizer smol =
        PretrainedModel.loadTokenizer(
            Path.of(CliRun.of("fetch", "smollm2-135m-instruct").out().strip()));
    PromptCodec codec =
        new PromptCodec(
            smol,
            ChatFormat.of(
                ConfigFactory.parseString(
                    "task { chat = true, system = \"Default system.\", instruction = \"Number"
                        + " only.\" }, model.path = x"),
                smol));
    Example conversation =
        new Example(
            0,
            "And 5 + 5?",
            "10",
            List.of(
                new Example.Turn("system", "Be brief."),
                new Example.Turn("user", "What is 2 + 2?"),
                new Example.Turn("assistant", "4"),
                new Example.Turn("user", "And 5 + 5?")));
    String text = smol.decodeWithSpecials(codec.prompt(conversation));
    assertTrue(
        text.contains("<|im_start|>system\nBe brief.<|im_end|>")
            && !text.contains("Default system."),
        text);
    assertTrue(text.contains("<|im_start|>assistant\n4<|im_end|>"), text);
    assertTrue(
        text.endsWith(
            "<|im_start|>user\nAnd 5 + 5? Number only.<|im_end|>\n<|im_start|>assistant\n"),
        text);
    Example single =
        new Example(1, "What is 2 + 2?", "4", List.of(new Example.Turn("user", "What is 2 + 2?")));
    assertEquals(
        java.util.Arrays.toString(codec.prompt("What is 2 + 2?")),
        java.util.Arrays.toString(codec.prompt(single)));
    // The TEXT tab's and saved rollouts' readable prompt: what the model is asked, the
    // instruction and the system message included, without the template's tokens.
    assertEquals(
        "system: Default system.\nuser: What is 2 + 2? Number only.",
        codec.promptText(new Example(2, "What is 2 + 2?", "4", List.of())));
    assertEquals(
        "system: Be brief.\nuser: What is 2 + 2?\nassistant: 4\nuser: And 5 + 5? Number only.",
        codec.promptText(conversation));
  }
}
