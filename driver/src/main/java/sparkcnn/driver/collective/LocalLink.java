package sparkcnn.driver.collective;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A ring link between two ranks in the same JVM (two task slots of one executor, or local mode): the sender
 * copies its chunk once into a pooled array and queues it; the receiver adds (or copies) from it and hands the
 * array back. That is one copy per element where TCP over loopback needs four (into the direct buffer, into
 * the kernel, out of it, out of the direct buffer), which is how NCCL treats ranks of one node too. Sends never
 * wait, so a ring of such links cannot deadlock whatever the ranks' order of send and receive.
 */
final class LocalLink {
  private static final Map<String, LocalLink> LINKS = new ConcurrentHashMap<>();
  private final String key;
  private final BlockingQueue<Object> full = new LinkedBlockingQueue<>();
  private final BlockingQueue<float[]> free = new LinkedBlockingQueue<>();

  private LocalLink(String key) {
    this.key = key;
  }

  /** The link from one ring address to another (both ends ask for it by the same key). */
  static LocalLink between(String from, String to) {
    String key = from + " -> " + to;
    return LINKS.computeIfAbsent(key, LocalLink::new);
  }

  /** An array of at least n floats for the next send (a returned one when there is one). */
  float[] buffer(int n) {
    float[] a = free.poll();
    return a != null && a.length >= n ? a : new float[Math.max(n, 1)];
  }

  void send(Object chunk) {
    full.add(chunk);
  }

  /** The next chunk, waiting in one-second slices (checking interrupted) up to the timeout. */
  Object receive(long timeoutNanos, BooleanSupplier interrupted, String who) throws IOException {
    long deadline = System.nanoTime() + timeoutNanos;
    try {
      while (true) {
        Object o = full.poll(Math.max(1, Math.min(1000, (deadline - System.nanoTime()) / 1_000_000)),
            TimeUnit.MILLISECONDS);
        if (o != null) {
          return o;
        }
        if (interrupted.getAsBoolean()) {
          throw new IOException(who + ": interrupted (the task was killed) while waiting");
        }
        if (System.nanoTime() > deadline) {
          throw new SocketTimeoutException(who + " sent nothing for " + timeoutNanos / 1e9
              + " s (training.peer_timeout_seconds)");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(who + ": interrupted", e);
    }
  }

  /** A received array, back to the sender's pool. */
  void recycle(float[] a) {
    free.add(a);
  }

  void close() {
    LINKS.remove(key);
  }
}
