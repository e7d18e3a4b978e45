package sparkcnn.driver.collective;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A ring link between two ranks in the same JVM (two task slots of one executor, or local mode), without a copy:
 * the sender hands over a view of its own vector (the chunk it sends), the receiver adds or copies straight from
 * it and acknowledges, and the sender waits for that acknowledgement before it goes on, so it never changes the
 * chunk under the reader. That is one pass over the data where TCP over loopback makes four copies (into the
 * direct buffer, into the kernel, out of it, out of the direct buffer); NCCL treats ranks of one node alike.
 * Sends never wait, so a ring of such links cannot deadlock whatever the order of its ranks.
 */
final class LocalLink {
  /** Elements [lo, hi) of a rank's vector, lent to the next rank until it acknowledges. */
  record View(SplitVector vector, int lo, int hi) {}

  private static final Map<String, LocalLink> LINKS = new ConcurrentHashMap<>();
  private final String key;
  private final BlockingQueue<Object> full = new LinkedBlockingQueue<>();
  private final Semaphore acks = new Semaphore(0);

  private LocalLink(String key) {
    this.key = key;
  }

  /** The link from one ring address to another (both ends ask for it by the same key). */
  static LocalLink between(String from, String to) {
    String key = from + " -> " + to;
    return LINKS.computeIfAbsent(key, LocalLink::new);
  }

  /** A View (acknowledge it once read) or a small vector of the rank's own (no acknowledgement). */
  void send(Object chunk) {
    full.add(chunk);
  }

  /** The next chunk, waiting in one-second slices (checking interrupted) up to the timeout. */
  Object receive(long timeoutNanos, BooleanSupplier interrupted, String who) throws IOException {
    long deadline = System.nanoTime() + timeoutNanos;
    try {
      while (true) {
        Object o = full.poll(slice(deadline), TimeUnit.MILLISECONDS);
        if (o != null && !interrupted.getAsBoolean()) {
          return o;
        }
        check(deadline, timeoutNanos, interrupted, who + " sent nothing");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(who + ": interrupted", e);
    }
  }

  /** The receiver is done with the last View. */
  void acknowledge() {
    acks.release();
  }

  /** The sender waits until the receiver is done with its last View. */
  void awaitAcknowledgement(long timeoutNanos, BooleanSupplier interrupted, String who) throws IOException {
    long deadline = System.nanoTime() + timeoutNanos;
    try {
      while (!acks.tryAcquire(slice(deadline), TimeUnit.MILLISECONDS)) {
        check(deadline, timeoutNanos, interrupted, who + " did not read what it was sent");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(who + ": interrupted", e);
    }
  }

  private static long slice(long deadline) {
    return Math.max(1, Math.min(1000, (deadline - System.nanoTime()) / 1_000_000));
  }

  /** what: "rank r: rank p (host:port) did X", for the timeout; the interrupt names the same peer. */
  private static void check(long deadline, long timeoutNanos, BooleanSupplier interrupted, String what)
      throws IOException {
    if (interrupted.getAsBoolean()) {
      throw new IOException(what + ": interrupted (the task was killed) while waiting for it");
    }
    if (System.nanoTime() > deadline) {
      throw new SocketTimeoutException(what + " for " + timeoutNanos / 1e9 + " s (training.peer_timeout_seconds)");
    }
  }

  void close() {
    LINKS.remove(key);
  }
}
