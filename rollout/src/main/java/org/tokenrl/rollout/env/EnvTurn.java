package org.tokenrl.rollout.env;

import java.util.List;
import org.tokenrl.core.ChatTemplate;

/**
 * The policy's latest turn and the conversation so far, as an environment sees it.
 *
 * @param index 0 for the first policy turn
 * @param text the turn's text (special tokens left out, e.g. without the end-of-turn token)
 * @param ids the token ids the policy sampled in this turn
 * @param messages the conversation so far, ending with this turn as an {@code assistant} message
 * @param promptIds the prompt's token ids
 * @param responseIds every response token so far: policy turns and observations, this turn last
 * @param lastTurn no policy turn follows, whatever the environment answers ({@code
 *     rollout.max_turns} reached)
 */
public record EnvTurn(
    int index,
    String text,
    int[] ids,
    List<ChatTemplate.Message> messages,
    int[] promptIds,
    int[] responseIds,
    boolean lastTurn) {}
