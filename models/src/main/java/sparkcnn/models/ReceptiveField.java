package sparkcnn.models;

/**
 * The receptive field of one output position, walked through the network: size in input pixels, and jump, the
 * input distance between neighbouring positions. A window of extent k and stride s grows the size by
 * (k - 1) jump and multiplies the jump by s. Branches that meet (concat, residual add) keep the larger field.
 */
public record ReceptiveField(double size, double jump) {
  public static final ReceptiveField PIXEL = new ReceptiveField(1, 1);

  /** After a window of extent k (dilation included) and stride s; s below 1 is an upsampling. */
  public ReceptiveField through(int k, double s) {
    return new ReceptiveField(size + (k - 1) * jump, jump * s);
  }

  public ReceptiveField max(ReceptiveField o) {
    return size >= o.size ? this : o;
  }
}
