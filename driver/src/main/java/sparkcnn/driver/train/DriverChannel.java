package sparkcnn.driver.train;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The driver's socket for collective sessions, with two jobs:
 *
 * <ul>
 *   <li>Rendezvous: every rank registers its ring address (host:port) for its stage attempt and gets back the
 *       list of all ranks' once the last one has registered. {@code BarrierTaskContext.allGather} would do the
 *       same, but it polls the coordinator with a one-second sleep: measured here, the first rank to arrive
 *       waited 1.0 s in every session, 13% of a 36-step session of tf_convnet.</li>
 *   <li>Progress: rank 0 keeps its connection and writes one record per step (a session is one Spark job of
 *       thousands of steps; the console and metrics.jsonl cannot wait for its end). Best effort: every report
 *       also comes back in the session's result.</li>
 * </ul>
 */
final class DriverChannel implements Closeable {
  private static final int MAGIC = 0x53434E4E; // "SCNN"
  private final ServerSocket server;
  private final String address;
  private final BlockingQueue<StepReport> queue = new LinkedBlockingQueue<>();
  /** Stage attempt -> the ranks registered so far (their sockets and ring addresses). */
  private final Map<String, Registration[]> sessions = new HashMap<>();

  private record Registration(Socket socket, DataOutputStream out, String address) {}

  /** Listens on bindHost, advertised to the ranks as host. */
  DriverChannel(String bindHost, String host) throws IOException {
    server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getByName(bindHost), 0), 64);
    address = host + ":" + server.getLocalPort();
    Thread acceptor = new Thread(this::acceptLoop, "sparkcnn-driver-channel");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** host:port for the ranks. */
  String address() {
    return address;
  }

  /** The next step report, or null after the timeout. */
  StepReport poll(long millis) throws InterruptedException {
    return queue.poll(millis, TimeUnit.MILLISECONDS);
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        Thread reader = new Thread(() -> serve(s), "sparkcnn-driver-channel-peer");
        reader.setDaemon(true);
        reader.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket s) {
    try {
      s.setTcpNoDelay(true);
      s.setSoTimeout(60_000); // a peer that connects and says nothing does not pin this thread
      DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
      DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
      if (in.readInt() != MAGIC) {
        s.close();
        return;
      }
      String session = in.readUTF();
      int rank = in.readInt();
      int ranks = in.readInt();
      String ring = in.readUTF();
      s.setSoTimeout(0);
      register(session, rank, ranks, new Registration(s, out, ring));
      if (rank != 0) {
        return; // register() closes it once the list is sent
      }
      try (s) {
        while (true) {
          double[] a = new double[StepReports.LENGTH];
          for (int i = 0; i < a.length; i++) {
            a[i] = in.readDouble();
          }
          queue.add(StepReports.decode(a));
        }
      }
    } catch (EOFException e) {
      // the session ended
    } catch (IOException e) {
      // a session that died: the rerun registers again, and its reports come back with its result
    }
  }

  private void register(String session, int rank, int ranks, Registration r) throws IOException {
    Registration[] all;
    synchronized (sessions) {
      all = sessions.computeIfAbsent(session, k -> new Registration[ranks]);
      if (rank < 0 || rank >= all.length || all[rank] != null || ranks != all.length) {
        r.socket().close(); // the rank then reports that the driver closed its connection
        return;
      }
      all[rank] = r;
      for (Registration x : all) {
        if (x == null) {
          return; // not everyone yet
        }
      }
      sessions.remove(session);
    }
    for (int i = 0; i < all.length; i++) {
      Registration x = all[i];
      try {
        x.out().writeInt(all.length);
        for (Registration y : all) {
          x.out().writeUTF(y.address());
        }
        x.out().flush();
      } catch (IOException e) {
        // that rank is gone; its peers will find out on the ring
      }
      if (i != 0) {
        x.socket().close(); // only rank 0 keeps its connection, for the step reports
      }
    }
  }

  /** Drops the registrations of attempts that never completed (called between sessions: they are all over). */
  void forgetPending() throws IOException {
    synchronized (sessions) {
      for (Registration[] all : sessions.values()) {
        for (Registration r : all) {
          if (r != null) {
            r.socket().close();
          }
        }
      }
      sessions.clear();
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    forgetPending();
  }

  /** A rank's end: registers, waits for the ring's addresses, and (rank 0) then sends step reports. */
  static final class Rank implements Closeable {
    private final Socket socket;
    private final DataOutputStream out;
    private final String[] addresses;

    /**
     * Registers ringAddress as rank of ranks for this stage attempt and waits, up to timeoutSeconds, for
     * everyone's. Fails naming the driver's address if it cannot be reached or the others do not come.
     */
    Rank(String driver, String session, int rank, int ranks, String ringAddress, double timeoutSeconds,
        java.util.function.BooleanSupplier interrupted) throws IOException {
      int colon = driver.lastIndexOf(':');
      socket = new Socket();
      int timeout = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeoutSeconds * 1000));
      try {
        socket.connect(new InetSocketAddress(driver.substring(0, colon), Integer.parseInt(driver.substring(colon + 1))),
            Math.min(timeout, 30_000));
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(timeout);
        out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
        out.writeInt(MAGIC);
        out.writeUTF(session);
        out.writeInt(rank);
        out.writeInt(ranks);
        out.writeUTF(ringAddress);
        out.flush();
        BufferedInputStream buffered = new BufferedInputStream(socket.getInputStream());
        // Wait for the reply's first byte in one-second slices, so a killed task stops waiting at once.
        socket.setSoTimeout(1000);
        long deadline = System.nanoTime() + (long) (timeoutSeconds * 1e9);
        while (true) {
          buffered.mark(1);
          try {
            if (buffered.read() < 0) {
              throw new EOFException("the driver closed the connection");
            }
            buffered.reset();
            break;
          } catch (SocketTimeoutException e) {
            if (interrupted.getAsBoolean()) {
              throw new IOException("interrupted (the task was killed) while waiting for the other ranks");
            }
            if (System.nanoTime() > deadline) {
              throw e;
            }
          }
        }
        socket.setSoTimeout(timeout);
        DataInputStream in = new DataInputStream(buffered);
        int n = in.readInt();
        addresses = new String[n];
        for (int i = 0; i < n; i++) {
          addresses[i] = in.readUTF();
        }
        socket.setSoTimeout(0);
      } catch (SocketTimeoutException e) {
        socket.close();
        throw new SocketTimeoutException("rank " + rank + ": the other ranks of the session did not all register "
            + "with the driver (" + driver + ") within " + timeoutSeconds + " s (training.peer_timeout_seconds)");
      } catch (IOException e) {
        socket.close();
        throw new IOException("rank " + rank + ": rendezvous with the driver at " + driver + " failed: "
            + e.getMessage(), e);
      }
    }

    /** Every rank's ring address, by rank. */
    String[] addresses() {
      return addresses.clone();
    }

    /** Rank 0: one step's report to the driver (best effort). */
    void send(StepReport r) {
      try {
        for (double d : StepReports.encode(r)) {
          out.writeDouble(d);
        }
        out.flush();
      } catch (IOException e) {
        // best effort: the session's result carries every report
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
