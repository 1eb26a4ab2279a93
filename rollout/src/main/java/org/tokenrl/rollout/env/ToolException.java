package org.tokenrl.rollout.env;

/** A tool call the tool rejects (bad arguments, division by zero): its message is the answer. */
public final class ToolException extends Exception {
  public ToolException(String message) {
    super(message);
  }
}
