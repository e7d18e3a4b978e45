package sparkcnn.jobs.config;

/** A job definition that cannot run: the message names the file, the key, the bad value and what is allowed. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }
}
