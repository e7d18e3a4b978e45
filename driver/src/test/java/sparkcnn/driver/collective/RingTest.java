package sparkcnn.driver.collective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The ring on loopback, ranks as threads: sums in ring order, layout, and every way a peer can fail. */
class RingTest {
  /** Binds n listening channels on loopback and returns their host:port strings. */
  private static String[] bind(ServerSocketChannel[] servers) throws IOException {
    return bind(servers, false);
  }

  /** inJvm: addresses that mark the ranks as this JVM's (in-JVM links); otherwise plain host:port (TCP). */
  private static String[] bind(ServerSocketChannel[] servers, boolean inJvm) throws IOException {
    String[] addresses = new String[servers.length];
    for (int r = 0; r < servers.length; r++) {
      servers[r] = ServerSocketChannel.open();
      servers[r].bind(new InetSocketAddress("127.0.0.1", 0));
      int port = servers[r].socket().getLocalPort();
      addresses[r] = inJvm ? Ring.address("127.0.0.1", port) : "127.0.0.1:" + port;
    }
    return addresses;
  }

  private interface RankWork<T> {
    T run(Ring ring, int rank) throws Exception;
  }

  /** Runs work on n connected ranks at once; results by rank. */
  private static <T> List<T> onRing(int n, double timeout, RankWork<T> work) throws Exception {
    return onRing(n, timeout, false, work);
  }

  private static <T> List<T> onRing(int n, double timeout, boolean inJvm, RankWork<T> work) throws Exception {
    ServerSocketChannel[] servers = new ServerSocketChannel[n];
    String[] addresses = bind(servers, inJvm);
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<T>> futures = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        int rank = r;
        futures.add(pool.submit(() -> {
          try (Ring ring = Ring.connect(rank, addresses, servers[rank], timeout, () -> false)) {
            return work.run(ring, rank);
          }
        }));
      }
      List<T> out = new ArrayList<>();
      for (Future<T> f : futures) {
        out.add(f.get(60, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
      for (ServerSocketChannel s : servers) {
        s.close();
      }
    }
  }

  private static float[] random(long seed, int n) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (rnd.nextDouble() * 2 - 1) * (i % 7 == 0 ? 1e4f : 1f); // mixed magnitudes: order matters
    }
    return a;
  }

  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> rings() {
    java.util.stream.Stream.Builder<org.junit.jupiter.params.provider.Arguments> b = java.util.stream.Stream.builder();
    for (boolean inJvm : new boolean[] {false, true}) {
      for (int n : new int[] {1, 2, 3, 5}) {
        b.add(org.junit.jupiter.params.provider.Arguments.of(n, inJvm));
      }
    }
    return b.build();
  }

  @ParameterizedTest(name = "{0} ranks, in-JVM links {1}")
  @org.junit.jupiter.params.provider.MethodSource("rings")
  void allReduceGivesEveryRankTheSumInRingOrder(int n, boolean inJvm) throws Exception {
    int first = 1000;
    int second = 37;
    int bucket = 300; // several buckets, one straddling the two arrays
    List<SplitVector> results = onRing(n, 30, inJvm, (ring, rank) -> {
      SplitVector v = new SplitVector(random(rank, first), random(100 + rank, second));
      ring.allReduce(v, new RingLayout(first + second, bucket, n));
      return v;
    });
    RingLayout layout = new RingLayout(first + second, bucket, n);
    float[] expected = new float[first + second];
    for (RingLayout.Range b : layout.buckets()) {
      for (int c = 0; c < n; c++) {
        RingLayout.Range chunk = layout.chunk(b, c);
        for (int i = chunk.lo(); i < chunk.hi(); i++) {
          // Chunk c starts at rank c + 1 and each next rank adds its own value to what it received.
          float s = value(c + 1 == n ? 0 : c + 1, i, first);
          for (int k = 2; k <= n; k++) {
            s = s + value((c + k) % n, i, first);
          }
          expected[i] = s;
        }
      }
    }
    for (int r = 0; r < n; r++) {
      float[] all = new float[first + second];
      System.arraycopy(results.get(r).first(), 0, all, 0, first);
      System.arraycopy(results.get(r).second(), 0, all, first, second);
      assertArrayEquals(expected, all, "rank " + r);
    }
  }

  private static float value(int rank, int i, int first) {
    return i < first ? random(rank, first)[i] : random(100 + rank, 37)[i - first];
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void smallVectorsGatherByRankAndSumInRankOrder(boolean inJvm) throws Exception {
    List<double[]> sums = onRing(3, 30, inJvm, (ring, rank) -> ring.allReduce(new double[] {rank, 1, rank * 10}));
    for (double[] s : sums) {
      assertArrayEquals(new double[] {3, 3, 30}, s);
    }
  }

  @Test
  void layoutCutsTheVectorIntoShardsThatCoverItOnce() {
    RingLayout layout = new RingLayout(1037, 300, 3);
    int[] seen = owners(layout);
    for (int i = 0; i < seen.length; i++) {
      assertEquals(1, seen[i], "element " + i);
    }
    assertEquals(1037, layout.buckets().get(0).hi()); // the last elements (last layers) go first
    float[] params = random(1, 1000);
    float[] copy = new float[1000];
    for (int r = 0; r < 3; r++) {
      RingLayout.Shard shard = layout.shard(r, 0, 1000);
      shard.scatter(shard.gather(params, new float[shard.size()]), copy);
    }
    assertArrayEquals(params, copy);
  }

  /** How many ranks own each element of the layout's vector. */
  private static int[] owners(RingLayout layout) {
    int[] seen = new int[layout.length()];
    for (int r = 0; r < layout.ranks(); r++) {
      for (RingLayout.Range c : layout.owned(r)) {
        for (int i = c.lo(); i < c.hi(); i++) {
          seen[i]++;
        }
      }
    }
    return seen;
  }

  /** A frozen backbone's elements (the vector's start) stay out of every bucket and every shard. */
  @Test
  void aLayoutFromAStartLeavesTheElementsBeforeItOut() {
    RingLayout layout = new RingLayout(400, 1037, 300, 3);
    int[] seen = owners(layout);
    for (int i = 0; i < seen.length; i++) {
      assertEquals(i < 400 ? 0 : 1, seen[i], "element " + i);
    }
    assertEquals(400, layout.buckets().get(layout.buckets().size() - 1).lo());
    assertEquals(3, layout.buckets().size()); // 637 elements in buckets of 300: 300, 300, 37
    assertEquals(0, layout.shard(1, 0, 400).size());
  }

  @Test
  void aPeerThatNeverConnectsTimesOutNamingIt() throws Exception {
    ServerSocketChannel[] servers = new ServerSocketChannel[1];
    String[] mine = bind(servers);
    // Rank 1 listens (so connecting to it succeeds) but never joins the ring: rank 0 waits for it in vain.
    try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
      String[] addresses = {mine[0], "127.0.0.1:" + silent.getLocalPort()};
      long t0 = System.nanoTime();
      IOException e = assertThrows(IOException.class, () -> Ring.connect(0, addresses, servers[0], 1.5, () -> false));
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertTrue(e.getMessage().contains("rank 1") && e.getMessage().contains("never connected"), e.getMessage());
      assertTrue(seconds < 10, "gave up after " + seconds + " s");
    } finally {
      servers[0].close();
    }
  }

  @Test
  void aRankWithNobodyListeningFailsNamingThePeer() throws Exception {
    ServerSocketChannel[] servers = new ServerSocketChannel[1];
    String[] mine = bind(servers);
    int dead;
    try (ServerSocket s = new ServerSocket(0)) {
      dead = s.getLocalPort();
    }
    String[] addresses = {mine[0], "127.0.0.1:" + dead};
    IOException e = assertThrows(IOException.class, () -> Ring.connect(0, addresses, servers[0], 1, () -> false));
    assertTrue(e.getMessage().contains("rank 1") && e.getMessage().contains("127.0.0.1:" + dead), e.getMessage());
    servers[0].close();
  }

  @Test
  void aPeerThatLeavesMidExchangeIsNamedAndNobodyHangs() throws Exception {
    Exception e = assertThrows(Exception.class, () -> onRing(2, 30, (ring, rank) -> {
      if (rank == 1) {
        ring.close(); // its task died
        return null;
      }
      ring.allReduce(new SplitVector(new float[1 << 20], new float[0]), new RingLayout(1 << 20, 1 << 18, 2));
      return null;
    }));
    Throwable cause = e.getCause();
    assertTrue(cause instanceof IOException && cause.getMessage().startsWith("rank 0: ")
        && cause.getMessage().contains("rank 1 (127.0.0.1:"), String.valueOf(cause));
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aKilledTaskStopsWaitingWithinASecondOrSo(boolean inJvm) throws Exception {
    ServerSocketChannel[] servers = new ServerSocketChannel[2];
    String[] addresses = bind(servers, inJvm);
    long killAt = System.nanoTime() + 1_000_000_000L;
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      // Rank 1 joins but then never sends; rank 0's task is killed after a second (the timeout is a minute).
      Future<Ring> one = pool.submit(() -> Ring.connect(1, addresses, servers[1], 60, () -> false));
      Ring zero = Ring.connect(0, addresses, servers[0], 60, () -> System.nanoTime() > killAt);
      long t0 = System.nanoTime();
      IOException e = assertThrows(IOException.class,
          () -> zero.allReduce(new SplitVector(new float[64], new float[0]), new RingLayout(64, 64, 2)));
      assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
      assertTrue((System.nanoTime() - t0) / 1e9 < 5);
      zero.close();
      one.get().close();
    } finally {
      pool.shutdownNow();
      servers[0].close();
      servers[1].close();
    }
  }
}
