package sparkcnn.driver.collective;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.function.BooleanSupplier;

/**
 * One rank's end of a ring of n ranks over TCP (NIO socket channels, direct little-endian buffers): it sends to
 * rank r+1 and receives from rank r-1 at the same time, so every link carries data in every transfer step.
 * Ring reduce-scatter and all-gather (Patarasuk and Yuan, 2009) run bucket by bucket over a {@link RingLayout}:
 * each moves (n-1)/n of the vector through every link, the bandwidth optimum. The order in which a chunk's n
 * contributions are added is fixed by the ring (it starts at rank c+1 and ends at rank c), so a run is
 * bit-identical to itself whatever the timing.
 *
 * A link to a rank in the same JVM (its address carries this JVM's id) skips TCP: see {@link LocalLink}.
 *
 * Every connect, accept and read has a deadline (the peer timeout, renewed whenever data moves), and the loop
 * polls the interrupt check once a second: a dead, stuck or killed peer ends this rank with an IOException
 * that names the peer, never a hang.
 */
public final class Ring implements Closeable {
  private static final int MAGIC = 0x52494E47; // "RING"
  /** Tells ranks of this JVM apart from ranks elsewhere: part of every ring address made here. */
  private static final String JVM = java.util.UUID.randomUUID().toString();
  private final int rank;
  private final int size;
  private final String[] addresses;
  private final long timeoutNanos;
  private final BooleanSupplier interrupted;
  private final SocketChannel toNext;
  private final SocketChannel fromPrev;
  private final Selector selector;
  private final SelectionKey writeKey;
  private final SelectionKey readKey;
  /** Set instead of toNext / fromPrev when that neighbour lives in this JVM. */
  private final LocalLink outLink;
  private final LocalLink inLink;
  private ByteBuffer sendBuf = ByteBuffer.allocateDirect(0).order(ByteOrder.LITTLE_ENDIAN);
  private ByteBuffer recvBuf = ByteBuffer.allocateDirect(0).order(ByteOrder.LITTLE_ENDIAN);
  private float[] scratch = new float[0];

  private Ring(int rank, String[] addresses, long timeoutNanos, BooleanSupplier interrupted, SocketChannel toNext,
      SocketChannel fromPrev, LocalLink outLink, LocalLink inLink) throws IOException {
    this.rank = rank;
    this.size = addresses.length;
    this.addresses = addresses.clone();
    this.timeoutNanos = timeoutNanos;
    this.interrupted = interrupted;
    this.toNext = toNext;
    this.fromPrev = fromPrev;
    this.outLink = outLink;
    this.inLink = inLink;
    if (toNext != null || fromPrev != null) {
      selector = Selector.open();
      writeKey = register(toNext, selector);
      readKey = register(fromPrev, selector);
    } else {
      selector = null;
      writeKey = null;
      readKey = null;
    }
  }

  private static SelectionKey register(SocketChannel ch, Selector selector) throws IOException {
    if (ch == null) {
      return null;
    }
    ch.configureBlocking(false);
    return ch.register(selector, 0);
  }

  /** The ring address of a rank listening on host:port in this JVM. */
  public static String address(String host, int port) {
    return host + ":" + port + "#" + JVM;
  }

  private static boolean inThisJvm(String address) {
    return address.endsWith("#" + JVM);
  }

  /** host:port of a ring address. */
  private static String hostPort(String address) {
    int hash = address.indexOf('#');
    return hash < 0 ? address : address.substring(0, hash);
  }

  /**
   * Joins the ring: connects to rank + 1 and accepts rank - 1 on server (this rank's listening channel, whose
   * host:port is addresses[rank]). A ring of one needs no sockets.
   */
  public static Ring connect(int rank, String[] addresses, ServerSocketChannel server, double timeoutSeconds,
      BooleanSupplier interrupted) throws IOException {
    int n = addresses.length;
    long timeout = (long) (timeoutSeconds * 1e9);
    if (n == 1) {
      return new Ring(rank, addresses, timeout, interrupted, null, null, null, null);
    }
    int next = (rank + 1) % n;
    int prev = (rank - 1 + n) % n;
    long deadline = System.nanoTime() + timeout;
    LocalLink outLink = inThisJvm(addresses[next]) ? LocalLink.between(addresses[rank], addresses[next]) : null;
    LocalLink inLink = inThisJvm(addresses[prev]) ? LocalLink.between(addresses[prev], addresses[rank]) : null;
    SocketChannel out = null;
    SocketChannel in = null;
    try {
      if (outLink == null) {
        out = connectTo(hostPort(addresses[next]), deadline, interrupted, "rank " + rank + ": rank " + next);
        ByteBuffer hello = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(MAGIC).putInt(rank).flip();
        while (hello.hasRemaining()) {
          out.write(hello);
        }
      }
      if (inLink != null) {
        return new Ring(rank, addresses, timeout, interrupted, out, null, outLink, inLink);
      }
      server.configureBlocking(false);
      try (Selector s = Selector.open()) {
        server.register(s, SelectionKey.OP_ACCEPT);
        while (in == null) {
          in = server.accept();
          if (in == null) {
            waitOn(s, deadline, interrupted, "rank " + rank + ": rank " + prev + " (" + hostPort(addresses[prev])
                + ") never connected");
          }
        }
      }
      in.configureBlocking(false);
      in.socket().setTcpNoDelay(true);
      ByteBuffer h = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      String who = "rank " + rank + ": rank " + prev + " (" + hostPort(addresses[prev]) + ")";
      try (Selector s = Selector.open()) {
        in.register(s, SelectionKey.OP_READ);
        while (h.hasRemaining()) {
          if (in.read(h) < 0) {
            throw new IOException(who + " closed the connection before saying who it is");
          }
          if (h.hasRemaining()) {
            waitOn(s, deadline, interrupted, who + " connected but sent nothing");
          }
        }
      }
      h.flip();
      int magic = h.getInt();
      int from = h.getInt();
      if (magic != MAGIC || from != prev) {
        throw new IOException("rank " + rank + ": expected rank " + prev + " to connect, but a peer that says it is "
            + (magic == MAGIC ? "rank " + from : "not a SparkCNN rank") + " did");
      }
      return new Ring(rank, addresses, timeout, interrupted, out, in, outLink, null);
    } catch (IOException | RuntimeException e) {
      // Nothing half-made outlives a failed join: channels closed, this rank's in-JVM links forgotten.
      closeQuietly(out);
      closeQuietly(in);
      if (outLink != null) {
        outLink.close();
      }
      if (inLink != null) {
        inLink.close();
      }
      throw e;
    }
  }

  private static void closeQuietly(SocketChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException e) {
        // already failing
      }
    }
  }

  private static SocketChannel connectTo(String address, long deadline, BooleanSupplier interrupted, String who)
      throws IOException {
    int colon = address.lastIndexOf(':');
    InetSocketAddress target = new InetSocketAddress(address.substring(0, colon),
        Integer.parseInt(address.substring(colon + 1)));
    IOException last = null;
    while (System.nanoTime() < deadline) {
      SocketChannel ch = SocketChannel.open();
      try {
        ch.configureBlocking(true);
        ch.socket().connect(target, (int) Math.max(1, Math.min(1000, (deadline - System.nanoTime()) / 1_000_000)));
        ch.socket().setTcpNoDelay(true);
        return ch;
      } catch (IOException e) {
        ch.close();
        last = e;
        if (interrupted.getAsBoolean()) {
          throw new IOException(who + ": interrupted (the task was killed) while connecting to " + address);
        }
        sleep(100);
      }
    }
    throw new SocketTimeoutException(who + " at " + address + " refused or did not answer before the timeout"
        + (last == null ? "" : " (" + last.getMessage() + ")"));
  }

  private static void waitOn(Selector s, long deadline, BooleanSupplier interrupted, String what)
      throws IOException {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new SocketTimeoutException(what + " before the timeout");
    }
    s.select(Math.max(1, Math.min(1000, left / 1_000_000)));
    s.selectedKeys().clear();
    if (interrupted.getAsBoolean()) {
      throw new IOException(what + ": interrupted (the task was killed) while waiting");
    }
  }

  private static void sleep(long millis) throws IOException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /**
   * Reduce-scatter of v: afterwards rank r holds the sum over all ranks of chunk r of every bucket. Buckets go in
   * layout order, each once ready says its elements are final (backward still running on the rest).
   */
  public void reduceScatter(SplitVector v, RingLayout layout, ReadyMark ready) throws IOException {
    for (RingLayout.Range b : layout.buckets()) {
      await(ready, b);
      reduceScatter(v, layout, b);
    }
  }

  /** Waits until ready says bucket b's elements are final. */
  public void await(ReadyMark ready, RingLayout.Range b) throws IOException {
    try {
      if (!ready.await(b.lo())) {
        throw new IOException("rank " + rank + ": the step's compute failed");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("rank " + rank + ": interrupted", e);
    }
  }

  /** Reduce-scatter of one bucket: rank r ends with the sum of its chunk r. */
  public void reduceScatter(SplitVector v, RingLayout layout, RingLayout.Range b) throws IOException {
    for (int k = 0; k < size - 1; k++) {
      exchange(v, layout.chunk(b, Math.floorMod(rank - k - 1, size)),
          layout.chunk(b, Math.floorMod(rank - k - 2, size)), true);
    }
  }

  /** All-gather of v: rank r's chunk r of every bucket overwrites everyone's copy of it. */
  public void allGather(SplitVector v, RingLayout layout) throws IOException {
    for (RingLayout.Range b : layout.buckets()) {
      allGather(v, layout, b);
    }
  }

  /** All-gather of one bucket. */
  public void allGather(SplitVector v, RingLayout layout, RingLayout.Range b) throws IOException {
    for (int k = 0; k < size - 1; k++) {
      exchange(v, layout.chunk(b, Math.floorMod(rank - k, size)), layout.chunk(b, Math.floorMod(rank - k - 1, size)),
          false);
    }
  }

  /** Every rank's small vector (all of the same length), indexed by rank: per-step totals and timings. */
  public double[][] allGather(double[] mine) throws IOException {
    double[][] all = new double[size][];
    all[rank] = mine.clone();
    for (int k = 0; k < size - 1; k++) {
      double[] send = all[Math.floorMod(rank - k, size)];
      int from = Math.floorMod(rank - k - 1, size);
      if (outLink != null) {
        outLink.send(send.clone());
      } else {
        direct(true, send.length * 8).asDoubleBuffer().put(send);
      }
      tcp(outLink == null, inLink == null ? send.length * 8 : 0);
      if (inLink != null) {
        all[from] = (double[]) inLink.receive(timeoutNanos, interrupted, who(from));
      } else {
        all[from] = new double[send.length];
        recvBuf.position(0);
        recvBuf.asDoubleBuffer().get(all[from]);
      }
    }
    return all;
  }

  /** The sum over ranks, in rank order (the same on every rank), of a small vector. */
  public double[] allReduce(double[] mine) throws IOException {
    double[][] all = allGather(mine);
    double[] sum = new double[mine.length];
    for (double[] a : all) {
      for (int i = 0; i < sum.length; i++) {
        sum[i] += a[i];
      }
    }
    return sum;
  }

  /** Full all-reduce (reduce-scatter then all-gather) of v: every rank ends with the sum. */
  public void allReduce(SplitVector v, RingLayout layout) throws IOException {
    reduceScatter(v, layout, ReadyMark.complete());
    allGather(v, layout);
  }

  private String who(int peer) {
    return "rank " + rank + ": rank " + peer + " (" + hostPort(addresses[peer]) + ")";
  }

  /**
   * One transfer step: elements send of v go to the next rank while elements recv arrive from the previous one
   * and are added to v (reduce-scatter) or overwrite it (all-gather). Both ranks' vectors share the layout, so
   * a chunk has the same offsets at either end.
   */
  private void exchange(SplitVector v, RingLayout.Range send, RingLayout.Range recv, boolean add) throws IOException {
    if (outLink != null) {
      outLink.send(new LocalLink.View(v, send.lo(), send.hi())); // lent, not copied: see awaitAcknowledgement
    } else {
      v.copyOut(send.lo(), send.hi(), direct(true, send.size() * 4).asFloatBuffer());
    }
    tcp(outLink == null, inLink == null ? recv.size() * 4 : 0);
    if (inLink != null) {
      LocalLink.View in = (LocalLink.View) inLink.receive(timeoutNanos, interrupted, who(prev()));
      if (add) {
        v.addFrom(in.vector(), recv.lo(), recv.hi());
      } else {
        v.copyFrom(in.vector(), recv.lo(), recv.hi());
      }
      inLink.acknowledge();
    } else {
      if (scratch.length < recv.size()) {
        scratch = new float[recv.size()];
      }
      recvBuf.position(0);
      recvBuf.asFloatBuffer().get(scratch, 0, recv.size());
      if (add) {
        v.addFrom(scratch, recv.lo(), recv.hi());
      } else {
        v.copyFrom(scratch, recv.lo(), recv.hi());
      }
    }
    if (outLink != null) {
      outLink.awaitAcknowledgement(timeoutNanos, interrupted, who((rank + 1) % size));
    }
  }

  private int prev() {
    return Math.floorMod(rank - 1, size);
  }

  /** The send or receive direct buffer, at least bytes long, cleared with its limit at bytes. */
  private ByteBuffer direct(boolean send, int bytes) {
    ByteBuffer b = send ? sendBuf : recvBuf;
    if (b.capacity() < bytes) {
      b = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
      if (send) {
        sendBuf = b;
      } else {
        recvBuf = b;
      }
    }
    b.clear();
    b.limit(bytes);
    return b;
  }

  /**
   * The TCP part of an exchange: sendBuf (position 0 to its limit) to the next rank if send, and recvBytes from
   * the previous one, both at once on non-blocking channels.
   */
  private void tcp(boolean send, int recvBytes) throws IOException {
    if (send) {
      sendBuf.position(0);
    } else {
      sendBuf.limit(0);
    }
    direct(false, recvBytes);
    int next = (rank + 1) % size;
    int prev = (rank - 1 + size) % size;
    long deadline = System.nanoTime() + timeoutNanos;
    while (sendBuf.hasRemaining() || recvBuf.hasRemaining()) {
      boolean moved = false;
      if (sendBuf.hasRemaining()) {
        try {
          moved = toNext.write(sendBuf) > 0;
        } catch (IOException e) {
          throw new IOException("rank " + rank + ": sending to rank " + next + " (" + hostPort(addresses[next])
              + ") failed: " + e, e);
        }
      }
      if (recvBuf.hasRemaining()) {
        int got;
        try {
          got = fromPrev.read(recvBuf);
        } catch (IOException e) {
          throw new IOException("rank " + rank + ": receiving from rank " + prev + " (" + hostPort(addresses[prev])
              + ") failed: " + e, e);
        }
        if (got < 0) {
          throw new IOException(who(prev) + " closed the connection (its task ended or its executor died)");
        }
        moved |= got > 0;
      }
      if (moved) {
        deadline = System.nanoTime() + timeoutNanos;
        continue;
      }
      if (writeKey != null) {
        writeKey.interestOps(sendBuf.hasRemaining() ? SelectionKey.OP_WRITE : 0);
      }
      if (readKey != null) {
        readKey.interestOps(recvBuf.hasRemaining() ? SelectionKey.OP_READ : 0);
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        String peer = recvBuf.hasRemaining() ? who(prev) + " sent nothing" : who(next) + " took nothing";
        throw new SocketTimeoutException(peer + " for " + timeoutNanos / 1e9 + " s (training.peer_timeout_seconds)");
      }
      selector.select(Math.max(1, Math.min(1000, left / 1_000_000)));
      selector.selectedKeys().clear();
      if (interrupted.getAsBoolean()) {
        throw new IOException("rank " + rank + ": interrupted (the task was killed) while exchanging with ranks "
            + prev + " and " + next);
      }
    }
  }

  @Override
  public void close() throws IOException {
    if (outLink != null) {
      outLink.close();
    }
    if (inLink != null) {
      inLink.close();
    }
    if (selector != null) {
      selector.close();
    }
    if (toNext != null) {
      toNext.close();
    }
    if (fromPrev != null) {
      fromPrev.close();
    }
  }
}
