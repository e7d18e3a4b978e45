package sparkcnn.jobs;

/** A command line the command cannot accept; the message is the whole explanation (exit status 2). */
final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  UsageException(String message) {
    super(message);
  }
}
