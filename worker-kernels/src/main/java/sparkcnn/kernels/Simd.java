package sparkcnn.kernels;

/**
 * Whether this JVM can use the incubating Vector API. Without {@code --add-modules=jdk.incubator.vector}
 * the classes of that module are absent, so every kernel takes its scalar path instead: same results,
 * several times slower. The switch is decided once, here, and a warning is printed once.
 */
public final class Simd {
  /** True when jdk.incubator.vector is in the boot layer. */
  public static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

  /** Floats per vector register in the kernels (the preferred species), or 8 on the scalar path. */
  public static final int LANES = AVAILABLE ? VectorLanes.preferred() : 8;

  static {
    if (!AVAILABLE) {
      System.err.println("sparkcnn: the JVM was started without --add-modules=jdk.incubator.vector;"
          + " kernels use their scalar path (correct, but several times slower).");
    }
  }

  private Simd() {}

  /** Kept in its own class so that jdk.incubator.vector is only loaded when it exists. */
  private static final class VectorLanes {
    static int preferred() {
      return jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
    }
  }
}
