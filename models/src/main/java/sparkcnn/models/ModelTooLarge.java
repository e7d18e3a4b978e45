package sparkcnn.models;

/**
 * A network too large for this JVM's heap, refused before its arrays are allocated (see {@link Model}). Its own
 * type so that callers which read other argument errors as a bad input size (the zoo's builder) pass it on as it is.
 */
public final class ModelTooLarge extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public ModelTooLarge(String message) {
    super(message);
  }
}
