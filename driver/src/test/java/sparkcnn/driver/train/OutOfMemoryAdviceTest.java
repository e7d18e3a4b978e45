package sparkcnn.driver.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OutOfMemoryAdviceTest {
  @Test
  void namesTheMicroBatchTheImageAndWhatToChange() {
    IllegalStateException e = OutOfMemoryAdvice.forStep(new OutOfMemoryError("Java heap space"), 4,
        new int[] {64, 64, 32}, new int[] {3, 224, 224});
    String m = e.getMessage();
    assertTrue(m.startsWith("out of memory at step 5: a micro-batch of 64 images of 3x224x224"), m);
    assertTrue(m.contains("GiB; Java heap space)"), m);
    assertTrue(m.contains("training.micro_batch") && m.contains("--micro-batch") && m.contains("SPARKCNN_HEAP")
        && m.contains("spark.executor.memory"), m);
    // Spark kills the executor's JVM when it finds an OutOfMemoryError among a failure's causes.
    assertNull(e.getCause());
  }

  @Test
  void onlyTheHeapRunningOutIsTranslated() {
    assertTrue(OutOfMemoryAdvice.isHeap(new OutOfMemoryError("Java heap space")));
    assertTrue(OutOfMemoryAdvice.isHeap(new OutOfMemoryError("GC overhead limit exceeded")));
    assertFalse(OutOfMemoryAdvice.isHeap(new OutOfMemoryError("unable to create native thread: possibly out of "
        + "memory or process/resource limits reached")));
    assertFalse(OutOfMemoryAdvice.isHeap(new OutOfMemoryError("Requested array size exceeds VM limit")));
    assertFalse(OutOfMemoryAdvice.isHeap(new OutOfMemoryError("Metaspace")));
  }

  @Test
  void isFoundInTheTextSparkPassesBack() {
    String advice = OutOfMemoryAdvice.forStep(new OutOfMemoryError(), 0, new int[] {8}, null).getMessage();
    String failure = "Job aborted due to stage failure: Most recent failure reason:\n"
        + "java.lang.IllegalStateException: " + advice + "\n\tat sparkcnn.driver.train.Replica.accumulate(...)";
    assertEquals(advice, OutOfMemoryAdvice.in(failure));
    assertTrue(advice.startsWith("out of memory at step 1: a micro-batch of 8 images did not fit"), advice);
    assertNull(OutOfMemoryAdvice.in("Job aborted due to stage failure: executor lost"));
    // Out of heap outside the step (Spark serializing a task's result): the general advice; other kinds: none.
    String outside = OutOfMemoryAdvice.in("Lost task 0.0 in stage 2.0: java.lang.OutOfMemoryError: Java heap space\n"
        + "\tat org.apache.spark.util.io.ChunkedByteBuffer.toArray(ChunkedByteBuffer.scala:153)");
    assertEquals(OutOfMemoryAdvice.OUTSIDE, outside);
    assertTrue(outside.contains("spark.executor.memory") && outside.contains("SPARKCNN_HEAP")
        && outside.contains("training.micro_batch"), outside);
    assertNull(OutOfMemoryAdvice.in("Lost task 0.0 in stage 2.0: java.lang.OutOfMemoryError: Metaspace"));
    Exception chained = new java.util.concurrent.ExecutionException("Java heap space",
        new RuntimeException("Job aborted", new IllegalStateException(advice)));
    assertEquals(advice, OutOfMemoryAdvice.in(chained), "found down the causes, past a shallower message");
    assertNull(OutOfMemoryAdvice.in(new RuntimeException("a", new IllegalStateException("b"))));
    assertNull(OutOfMemoryAdvice.in((String) null));
  }
}
