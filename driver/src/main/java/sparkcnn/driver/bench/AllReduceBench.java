package sparkcnn.driver.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import sparkcnn.driver.collective.Ring;
import sparkcnn.driver.collective.RingLayout;
import sparkcnn.driver.collective.SplitVector;
import sparkcnn.kernels.bench.MemoryBandwidth;

/**
 * The ring all-reduce on its own: 2..N ranks as threads of this JVM, linked in-JVM and over loopback TCP, message
 * sizes from 1 KB
 * up, reported as nccl-tests do: algbw = bytes / time, busbw = algbw x 2(n-1)/n (what each link carries, so
 * comparable across rank counts), against this machine's memory-copy bandwidth measured in the same run.
 */
public final class AllReduceBench {
  private final int maxRanks;
  private final long maxBytes;
  private final int bucketFloats;
  private final PrintStream progress;

  public AllReduceBench(int maxRanks, long maxBytes, int bucketFloats, PrintStream progress) {
    this.maxRanks = maxRanks;
    this.maxBytes = maxBytes;
    this.bucketFloats = bucketFloats;
    this.progress = progress;
  }

  public Map<String, Object> run() throws Exception {
    double copy = MemoryBandwidth.arraycopy();
    progress.printf(Locale.ROOT, "bench allreduce: memory copy %.2f GB/s%n", copy / 1e9);
    List<Map<String, Object>> entries = new ArrayList<>();
    for (boolean inJvm : new boolean[] {true, false}) {
     for (int n = 2; n <= maxRanks; n++) {
      for (long bytes = 1024; bytes <= maxBytes; bytes *= 4) {
        double seconds = time(n, (int) (bytes / 4), inJvm);
        double algbw = bytes / seconds;
        double busbw = algbw * 2 * (n - 1) / n;
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("transport", inJvm ? "in_jvm" : "tcp");
        e.put("ranks", n);
        e.put("bytes", bytes);
        e.put("seconds", seconds);
        e.put("algbw_gb_per_second", algbw / 1e9);
        e.put("busbw_gb_per_second", busbw / 1e9);
        e.put("busbw_over_copy", busbw / copy);
        entries.add(e);
        progress.printf(Locale.ROOT, "  %s %d ranks %10d B  %9.3f ms  algbw %6.2f GB/s  busbw %6.2f GB/s (%.2f of "
            + "copy)%n", inJvm ? "in-JVM" : "TCP", n, bytes, seconds * 1e3, algbw / 1e9, busbw / 1e9, busbw / copy);
      }
     }
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("copy_gb_per_second", copy / 1e9);
    r.put("bucket_floats", bucketFloats);
    r.put("transports", "in_jvm: ranks of one JVM (LocalLink, as ranks sharing an executor); tcp: NIO sockets "
        + "over loopback (as ranks on different executors), ranks as threads of one JVM either way");
    r.put("entries", entries);
    return r;
  }

  /** Seconds per all-reduce of floats floats on n ranks: the slowest rank, after warm-up, over enough repeats. */
  private double time(int n, int floats, boolean inJvm) throws Exception {
    ServerSocketChannel[] servers = new ServerSocketChannel[n];
    String[] addresses = new String[n];
    for (int r = 0; r < n; r++) {
      servers[r] = ServerSocketChannel.open();
      servers[r].bind(new InetSocketAddress("127.0.0.1", 0), n);
      int port = servers[r].socket().getLocalPort();
      // A plain host:port is never taken for this JVM's: it forces TCP between threads of one process.
      addresses[r] = inJvm ? Ring.address("127.0.0.1", port) : "127.0.0.1:" + port;
    }
    int repeats = (int) Math.max(3, Math.min(200, (64L << 20) / Math.max(1, floats * 4L)));
    CyclicBarrier barrier = new CyclicBarrier(n);
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<Long>> futures = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        int rank = r;
        futures.add(pool.submit(() -> {
          try (Ring ring = Ring.connect(rank, addresses, servers[rank], 60, () -> false)) {
            SplitVector v = new SplitVector(new float[floats], new float[0]);
            RingLayout layout = new RingLayout(floats, bucketFloats, n);
            ring.allReduce(v, layout); // warm-up: buffers, JIT
            barrier.await();
            long t0 = System.nanoTime();
            for (int i = 0; i < repeats; i++) {
              ring.allReduce(v, layout);
            }
            return System.nanoTime() - t0;
          }
        }));
      }
      long slowest = 0;
      for (Future<Long> f : futures) {
        slowest = Math.max(slowest, f.get());
      }
      return slowest / 1e9 / repeats;
    } finally {
      pool.shutdownNow();
      for (ServerSocketChannel s : servers) {
        try {
          s.close();
        } catch (IOException e) {
          // closing anyway
        }
      }
    }
  }
}
