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
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Per-step reports from rank 0 to the driver while a collective session runs (a session is one Spark job of
 * thousands of steps: the console, metrics.jsonl and the progress line cannot wait for its end). The driver
 * listens on its own host (spark.driver.host); rank 0 connects once per session and writes one record a step.
 * Best effort: if the connection cannot be made, the session still returns every report in its result.
 */
final class ProgressChannel implements Closeable {
  private final ServerSocket server;
  private final String address;
  private final BlockingQueue<StepReport> queue = new LinkedBlockingQueue<>();
  private final Thread acceptor;

  ProgressChannel(String host) throws IOException {
    server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
    address = host + ":" + server.getLocalPort();
    acceptor = new Thread(this::acceptLoop, "sparkcnn-progress");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** host:port for rank 0. */
  String address() {
    return address;
  }

  /** The next report, or null after the timeout. */
  StepReport poll(long millis) throws InterruptedException {
    return queue.poll(millis, TimeUnit.MILLISECONDS);
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        Thread reader = new Thread(() -> read(s), "sparkcnn-progress-reader");
        reader.setDaemon(true);
        reader.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void read(Socket s) {
    try (s; DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()))) {
      while (true) {
        double[] a = new double[StepReports.LENGTH];
        for (int i = 0; i < a.length; i++) {
          a[i] = in.readDouble();
        }
        queue.add(StepReports.decode(a));
      }
    } catch (EOFException e) {
      // the session ended
    } catch (IOException e) {
      // a session that died: its reports come back with the retried one
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }

  /** Rank 0's end. */
  static final class Sender implements Closeable {
    private final Socket socket;
    private final DataOutputStream out;

    private Sender(Socket socket) throws IOException {
      this.socket = socket;
      this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
    }

    /** Connects, or returns null (with a line on stderr) if the driver cannot be reached. */
    static Sender open(String address) {
      try {
        int colon = address.lastIndexOf(':');
        Socket s = new Socket();
        s.connect(new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))),
            10_000);
        s.setTcpNoDelay(true);
        return new Sender(s);
      } catch (IOException | RuntimeException e) {
        System.err.println("sparkcnn: no progress channel to the driver at " + address + " (" + e.getMessage()
            + "); step reports arrive at the end of the session");
        return null;
      }
    }

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
