package sparkcnn.driver.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An output directory is held by one run: a second is refused naming the first; the lock goes with its run;
 * a lock left by a run that died is taken over (at once for a dead process of this host, after the stale time
 * for another host's).
 */
class RunLockTest {
  @TempDir
  Path dir;
  private final List<String> log = new ArrayList<>();

  private RunLock acquire() throws IOException {
    return RunLock.acquire(dir.toString(), new Configuration(), log::add);
  }

  private static String lockText(String host, long pid, long heartbeatMs) {
    return "owner=someone\nhost=" + host + "\npid=" + pid + "\nstarted=2026-12-01T00:00:00Z\nheartbeat_ms="
        + heartbeatMs + "\n";
  }

  @Test
  void aSecondRunIsRefusedNamingTheFirstAndTheLockGoesWithItsRun() throws Exception {
    try (RunLock first = acquire()) {
      IOException e = assertThrows(IOException.class, this::acquire);
      assertTrue(e.getMessage().startsWith(dir + " is in use by another training run (pid "
          + ProcessHandle.current().pid() + " on "), e.getMessage());
      assertTrue(e.getMessage().contains("lock file " + dir.resolve(RunLock.NAME) + ")"), e.getMessage());
      assertTrue(Files.exists(dir.resolve(RunLock.NAME)));
    }
    assertFalse(Files.exists(dir.resolve(RunLock.NAME)), "released when the run ends");
    try (RunLock again = acquire()) {
      assertTrue(Files.readString(dir.resolve(RunLock.NAME)).contains("pid=" + ProcessHandle.current().pid()));
    }
  }

  @Test
  void aLockOfADeadProcessOnThisHostIsTakenOverAtOnce() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    String host = java.net.InetAddress.getLocalHost().getHostName();
    Files.writeString(dir.resolve(RunLock.NAME), lockText(host, gone.pid(), System.currentTimeMillis()));
    try (RunLock taken = acquire()) {
      assertTrue(log.get(0).contains("taking over") && log.get(0).contains("pid " + gone.pid())
          && log.get(0).contains("that process no longer runs"), log.toString());
    }
  }

  @Test
  void anotherHostsLockIsRespectedWhileItBeatsAndTakenOverWhenStale() throws Exception {
    Path lock = dir.resolve(RunLock.NAME);
    long now = System.currentTimeMillis();
    Files.writeString(lock, lockText("elsewhere.example", 4242, now));
    IOException e = assertThrows(IOException.class, this::acquire, () -> log.toString());
    assertTrue(e.getMessage().contains("(pid 4242 on elsewhere.example, started 2026-12-01T00:00:00Z, last heartbeat "),
        e.getMessage());
    long old = now - (RunLock.STALE_SECONDS + 5) * 1000;
    Files.writeString(lock, lockText("elsewhere.example", 4242, old));
    Files.setLastModifiedTime(lock, FileTime.fromMillis(old));
    try (RunLock taken = acquire()) {
      assertTrue(log.get(0).contains("no heartbeat for 6"), log.toString());
    }
    assertEquals(List.of(), List.of(dir.toFile().list()), "nothing left behind");
  }
}
