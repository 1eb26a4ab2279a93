package org.tokenrl.rollout.env;

/**
 * An environment failed a row: it threw, timed out, or answered with something unusable. The
 * message is one line naming the row, the example and the turn.
 */
public final class EnvironmentException extends RuntimeException {
  public EnvironmentException(String message) {
    super(message);
  }

  public EnvironmentException(String message, Throwable cause) {
    super(message, cause);
  }
}
