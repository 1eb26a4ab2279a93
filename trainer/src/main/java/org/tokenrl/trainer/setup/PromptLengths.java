package org.tokenrl.trainer.setup;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.tokenrl.rollout.Example;
import org.tokenrl.rollout.Task;

/**
 * Every example against the model's context in the model's own tokens, before the run directory
 * exists: a pretrained model's prompts as the run will encode them (its tokenizer, its chat
 * template with task.system and task.instruction), so a prompt the template makes too long is one
 * line with its file:line instead of a failure in the middle of a run.
 */
final class PromptLengths {
  private PromptLengths() {}

  /**
   * The longest row a pass sees (prompt + response limit, or prompt + answer), in the model's
   * tokens. A pretrained model's prompts are encoded as the run will (BOS, or the chat template
   * with task.system and task.instruction), each checked against the context with its file:line;
   * the character tokenizer's lengths were checked by {@link StartChecks#checkLengths}.
   */
  static int longestRow(RunSpec spec, Task task, ModelHeader header) {
    int maxNew = MaxNewTokens.of(spec.rollout().maxNewTokens(), task);
    String key = spec.model().contextKey();
    int context = spec.model().context();
    int longest = 1;
    if (!spec.model().pretrained()) {
      for (List<Example> split : List.of(task.train(), task.heldOut())) {
        for (Example ex : split) {
          longest = Math.max(longest, ex.prompt().length() + 1 + maxNew);
        }
      }
      for (Example ex : task.sftExamples()) {
        longest = Math.max(longest, ex.prompt().length() + ex.answer().length() + 1);
      }
      return Math.min(longest, context);
    }
    PromptCodec codec =
        new PromptCodec(
            header.tokenizer(),
            ChatFormat.of(spec.chat(), spec.model().path(), header.tokenizer()));
    String how = codec.chat() != null ? " (the prompt as the chat template renders it)" : "";
    PromptBound bound = new PromptBound(codec);
    List<Example> byBound = new ArrayList<>();
    for (List<Example> split : List.of(task.train(), task.heldOut())) {
      for (Example ex : split) {
        byBound.add(ex);
        // Encoded exactly only when the bound does not already show it fits.
        if (bound.of(ex) + maxNew > context) {
          int needed = codec.prompt(ex).length + maxNew;
          if (needed > context) {
            throw StartChecks.tooLong(
                task,
                ex,
                needed
                    + " positions: "
                    + (needed - maxNew)
                    + " for the prompt"
                    + how
                    + " and "
                    + maxNew
                    + " new tokens"
                    + (spec.rollout().maxNewTokens() > 0 ? " (rollout.max_new_tokens)" : ""),
                key,
                context);
          }
        }
      }
    }
    for (Example ex : task.sftExamples()) {
      if (bound.of(ex) + bound.bytes(ex.answer()) + 1 > context) {
        int needed = codec.prompt(ex).length + codec.answer(ex.answer()).length - 1;
        if (needed > context) {
          throw StartChecks.tooLong(
              task, ex, needed + " positions for prompt and answer" + how, key, context);
        }
      }
    }
    // The memory estimate's row length: the exact lengths of the prompts with the largest bounds.
    byBound.sort(Comparator.comparingInt(bound::of).reversed());
    for (Example ex : byBound.subList(0, Math.min(8, byBound.size()))) {
      longest = Math.max(longest, codec.prompt(ex).length + maxNew);
    }
    return Math.min(longest, context);
  }

  /**
   * An upper bound of a prompt's token count that costs no template rendering: the tokens the
   * template adds around empty turns of the same roles (rendered once per role sequence), plus at
   * most one token per UTF-8 byte of each turn's text (byte-level BPE never needs more) and two for
   * merges across a turn's edges. Examples whose bound fits are not encoded: a large data set is
   * checked in milliseconds, and only a prompt that might not fit is rendered and counted exactly.
   */
  private static final class PromptBound {
    private final PromptCodec codec;
    private final Map<List<String>, Integer> overhead = new HashMap<>();

    PromptBound(PromptCodec codec) {
      this.codec = codec;
    }

    int of(Example ex) {
      if (ex.messages().isEmpty()) {
        return overhead(List.of()) + bytes(ex.prompt()) + 2;
      }
      int text = 0;
      List<String> roles = new ArrayList<>();
      for (Example.Turn t : ex.messages()) {
        roles.add(t.role());
        text += bytes(t.content()) + 2;
      }
      return overhead(roles) + text;
    }

    private int overhead(List<String> roles) {
      return overhead.computeIfAbsent(
          roles,
          r -> {
            if (r.isEmpty()) {
              return codec.prompt("").length;
            }
            List<Example.Turn> empty = r.stream().map(role -> new Example.Turn(role, "")).toList();
            return codec.chat() != null ? codec.chat().encode(empty).length : 1;
          });
    }

    int bytes(String s) {
      return s.getBytes(StandardCharsets.UTF_8).length;
    }
  }
}
