package org.tokenrl.core;

/**
 * A mistake in a run's configuration (or in data the configuration points to) that the user must
 * fix. The message is one user-facing line naming the key and where it was set; the CLI prints it
 * and exits with status 2 instead of showing a stack trace.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(oneLine(message));
  }

  public ConfigException(String message, Throwable cause) {
    super(oneLine(message), cause);
  }

  private static String oneLine(String message) {
    return message.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
  }
}
