package sparkcnn.driver.score;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * Results of inputs computed lazily, batch by batch, as the caller pulls them: a partition of millions of images
 * never holds more than one batch of inputs and results, which keeps a scoring executor's heap flat.
 */
public final class Batched {
  private Batched() {}

  public static <A, B> Iterator<B> lazily(Iterator<A> inputs, int batch, Function<List<A>, List<B>> scoreBatch) {
    return new Iterator<>() {
      private final List<B> ready = new ArrayList<>();
      private int next;

      @Override
      public boolean hasNext() {
        if (next < ready.size()) {
          return true;
        }
        ready.clear();
        next = 0;
        List<A> chunk = new ArrayList<>();
        while (chunk.size() < batch && inputs.hasNext()) {
          chunk.add(inputs.next());
        }
        if (!chunk.isEmpty()) {
          ready.addAll(scoreBatch.apply(chunk));
        }
        return !ready.isEmpty();
      }

      @Override
      public B next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return ready.get(next++);
      }
    };
  }
}
