package sparkcnn.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Executor-side pools stay bounded: by the tasks that used a key at once (not by the threads that ever did, as a
 * map keyed by thread id was), by the keys kept, and emptied by forget.
 */
class ModelPoolsTest {
  @Test
  void boundedByConcurrentUseNotByThreadsThatCameAndWent() throws Exception {
    ModelPools<Object> pools = new ModelPools<>(4);
    AtomicInteger built = new AtomicInteger();
    for (int i = 0; i < 20; i++) { // twenty task threads, one after the other
      Thread t = new Thread(() -> pools.release("spec", pools.acquire("spec", () -> {
        built.incrementAndGet();
        return new Object();
      })));
      t.start();
      t.join();
    }
    assertEquals(1, built.get(), "one model served every thread in turn");
    assertEquals(1, pools.size());
    List<Object> held = new ArrayList<>();
    for (int i = 0; i < 3; i++) { // three tasks at once
      held.add(pools.acquire("spec", Object::new));
    }
    held.forEach(o -> pools.release("spec", o));
    assertEquals(3, pools.size());
    Object again = pools.acquire("spec", Object::new);
    assertSame(held.get(0), again, "reused, not rebuilt");
    pools.release("spec", again);
  }

  @Test
  void keepsTheNewestKeysAndForgets() {
    ModelPools<Object> pools = new ModelPools<>(2);
    for (String key : List.of("a", "b", "c")) {
      pools.release(key, pools.acquire(key, Object::new));
    }
    assertEquals(2, pools.size(), "a's pool went when c came");
    pools.forget("c");
    assertEquals(1, pools.size());
    pools.release("c", new Object()); // given back after its key was forgotten: dropped
    assertEquals(1, pools.size());
    pools.clear();
    assertEquals(0, pools.size());
  }
}
