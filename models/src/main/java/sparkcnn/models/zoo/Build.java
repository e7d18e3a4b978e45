package sparkcnn.models.zoo;

/**
 * What a family builder gets: input channels and size (already scaled by the resolution), class count and the
 * width / depth multipliers. Builders that size a classifier from the feature map read the input size.
 */
public record Build(int channels, int height, int width, int classes, Scaling scaling) {
  public int ch(int c) {
    return scaling.channels(c);
  }

  public int repeats(int n) {
    return scaling.repeats(n);
  }
}
