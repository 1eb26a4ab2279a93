package org.tokenrl.trainer.setup;

import com.typesafe.config.Config;
import org.tokenrl.rollout.Example;
import org.tokenrl.rollout.Task;

/** The response length limit: {@code rollout.max_new_tokens}, or when 0 derived from the task. */
public final class MaxNewTokens {
  private MaxNewTokens() {}

  /** The configured limit, or when 0 the longest answer + EOS + 2 tokens of slack. */
  public static int of(Config c, Task task) {
    return of(c.getInt("rollout.max_new_tokens"), task);
  }

  /** {@code configured} ({@code rollout.max_new_tokens}) when > 0, else derived from the task. */
  public static int of(int configured, Task task) {
    if (configured > 0) {
      return configured;
    }
    int longest = 0;
    for (Example ex : task.train()) {
      longest = Math.max(longest, ex.answer().length());
    }
    for (Example ex : task.heldOut()) {
      longest = Math.max(longest, ex.answer().length());
    }
    return longest + 3;
  }
}
