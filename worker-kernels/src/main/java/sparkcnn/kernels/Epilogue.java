package sparkcnn.kernels;

/**
 * What an inference convolution applies to its output: act(y + b[bOff + channel]), b null for no bias.
 * {@link PointwiseBatched} applies it to each plane as it copies it out of scratch, while it is in cache, instead of
 * in a pass of its own over the whole output afterwards. (The implicit GEMM, given the same per image while the
 * image was in L2, measured level with the pass after it: its output is in cache either way.)
 */
record Epilogue(float[] b, int bOff, Activations.Fn act) {
  /** Nothing to apply (backward passes; a forward without bias or activation). */
  static final Epilogue NONE = new Epilogue(null, 0, Activations.Fn.NONE);

  /** Whether there is anything to apply. */
  boolean any() {
    return b != null || act != Activations.Fn.NONE;
  }

  /** y[at, at + n) of the given output channel. */
  void apply(float[] y, int at, int n, int channel) {
    Conv2dKernels.biasAct(b, bOff + channel, act, y, at, n);
  }
}
