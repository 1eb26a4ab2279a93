package org.tokenrl.rollout.env;

import com.typesafe.config.Config;
import org.tokenrl.core.ChatTemplate;
import org.tokenrl.core.HfTokenizer;
import org.tokenrl.core.Tokenizer;

/** Builds the multi-turn driver {@code rollout.env} and {@code rollout.*} describe. */
public final class MultiTurn {
  private MultiTurn() {}

  /** {@code rollout.*}: the turn budget is each call's {@code max_new_tokens}. */
  public static MultiTurnSettings settings(Config c) {
    return new MultiTurnSettings(
        c.getInt("rollout.max_turns"),
        0,
        c.getInt("rollout.max_total_tokens"),
        c.getStringList("rollout.stop"),
        MultiTurnSettings.OnError.parse(c.getString("rollout.env_on_error")),
        c.getDouble("rollout.env_timeout_s"));
  }

  /** The renderer: the model's chat template with {@code task.chat = true}, else the plain one. */
  public static TurnRenderer renderer(Config c, Tokenizer tokenizer) {
    if (c.getBoolean("task.chat")
        && tokenizer instanceof HfTokenizer hf
        && hf.chatTemplate() != null) {
      return new ChatRenderer(
          new ChatTemplate(hf.chatTemplate(), hf.specials().bos(), hf.specials().eos()), hf);
    }
    return new PlainRenderer(tokenizer);
  }

  /** The driver of a run with {@code rollout.env}, or null without one. */
  public static MultiTurnDriver driver(Config c, Tokenizer tokenizer) {
    if (!Environments.enabled(c)) {
      return null;
    }
    if (tokenizer == null) {
      throw new IllegalStateException("multi-turn rollouts need the run's tokenizer");
    }
    return new MultiTurnDriver(settings(c), Environments.create(c), renderer(c, tokenizer));
  }
}
