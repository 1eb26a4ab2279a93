package org.tokenrl.distributed;

import com.typesafe.config.Config;
import java.util.List;
import org.tokenrl.core.ChatTemplate;
import org.tokenrl.rollout.env.EnvRow;
import org.tokenrl.rollout.env.EnvStep;
import org.tokenrl.rollout.env.EnvTurn;
import org.tokenrl.rollout.env.Environment;

/** Answers the first policy turn with "=" + its text, then ends with reward = the row's index. */
public final class EchoEnvironment implements Environment {
  private final EnvRow row;

  public EchoEnvironment(EnvRow row, Config options) {
    this.row = row;
  }

  @Override
  public EnvStep step(EnvTurn turn) {
    return turn.index() == 0
        ? EnvStep.next(List.of(new ChatTemplate.Message("tool", "=" + turn.text())))
        : EnvStep.done(row.row());
  }
}
