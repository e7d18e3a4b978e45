package sparkcnn.driver;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;

/**
 * What an executor JVM keeps between tasks so that nothing is rebuilt per partition (evaluation models, scoring
 * graphs): per key (a model spec, a scoring job), a pool of objects that a task takes and gives back. A pool
 * holds at most as many objects as tasks ever used it at once (bounded by the executor's cores, whatever threads
 * come and go), only the most recently used {@code keysKept} keys keep their pools, and {@link #forget} drops a
 * key when its run or job ends. Objects given back under a forgotten key are dropped.
 */
public final class ModelPools<V> {
  private final int keysKept;
  private final LinkedHashMap<String, ConcurrentLinkedQueue<V>> pools = new LinkedHashMap<>(16, 0.75f, true);

  public ModelPools(int keysKept) {
    this.keysKept = keysKept;
  }

  /** An idle object of this key, or a new one (make). Give it back with {@link #release}. */
  public V acquire(String key, Supplier<V> make) {
    ConcurrentLinkedQueue<V> pool;
    synchronized (this) {
      pool = pools.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>());
      Iterator<Map.Entry<String, ConcurrentLinkedQueue<V>>> oldest = pools.entrySet().iterator();
      while (pools.size() > keysKept) {
        oldest.next();
        oldest.remove();
      }
    }
    V v = pool.poll();
    return v != null ? v : make.get();
  }

  public void release(String key, V v) {
    ConcurrentLinkedQueue<V> pool;
    synchronized (this) {
      pool = pools.get(key);
    }
    if (pool != null) {
      pool.add(v);
    }
  }

  public synchronized void forget(String key) {
    pools.remove(key);
  }

  public synchronized void clear() {
    pools.clear();
  }

  /** Idle objects held for key. */
  public synchronized int size(String key) {
    ConcurrentLinkedQueue<V> pool = pools.get(key);
    return pool == null ? 0 : pool.size();
  }

  /** Idle objects held, over all keys. */
  public synchronized int size() {
    return pools.values().stream().mapToInt(ConcurrentLinkedQueue::size).sum();
  }
}
