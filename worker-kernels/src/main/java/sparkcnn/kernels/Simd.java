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

  /**
   * The JVM option the vector kernels need besides the module: bin/sparkcnn gives it to its JVM, SparkSetup to
   * every executor's. C2 stops speculating on class checks in a whole compilation once the traps recorded in the
   * methods it inlines add up to -XX:PerMethodTrapLimit (100), and it adds each inlined copy's: VectorSupport.store,
   * inlined 32 times in a GEMM microkernel, needs only 4 traps from warm-up elsewhere. Without that speculation the
   * vectors' exact classes are unknown, their intrinsics fail, and the kernel runs the Vector API's Java fallback,
   * allocating a box per operation: tf_convnet's forward pass on one thread ran 3,075-3,200 images/s in 4 of 5
   * runs without the option, 3,860-3,940 in 5 of 5 with it. A bytecode that has trapped is still not speculated on
   * again, and -XX:PerMethodRecompilationCutoff still bounds recompiles.
   */
  public static final String JIT_OPTION = "-XX:PerMethodTrapLimit=100000";

  static {
    if (!AVAILABLE) {
      System.err.println("sparkcnn: the JVM was started without --add-modules=jdk.incubator.vector;"
          + " kernels use their scalar path (correct, but several times slower).");
    } else if (trapLimit() < 100_000) {
      System.err.println("sparkcnn: the JVM was started without " + JIT_OPTION + "; the JIT may leave vector"
          + " kernels on the Vector API's slow Java path (add it to the JVM's options; README: \"The JIT's trap"
          + " limit\").");
    }
  }

  /** This JVM's -XX:PerMethodTrapLimit, or the largest long where it cannot be read (not HotSpot). */
  static long trapLimit() {
    try {
      return Long.parseLong(java.lang.management.ManagementFactory.getPlatformMXBean(
          com.sun.management.HotSpotDiagnosticMXBean.class).getVMOption("PerMethodTrapLimit").getValue());
    } catch (RuntimeException | LinkageError e) {
      return Long.MAX_VALUE;
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
