package sparkcnn.driver.train;

/** Evaluation totals of some partitions: loss sum, top-1 and top-5 hits, count, confusion matrix (true x predicted). */
public final class EvalPartial implements java.io.Serializable {
  public double lossSum;
  public long correct;
  public long top5;
  public long count;
  public long[] confusion;

  public EvalPartial plus(EvalPartial o) {
    lossSum += o.lossSum;
    correct += o.correct;
    top5 += o.top5;
    count += o.count;
    if (confusion == null) {
      confusion = o.confusion;
    } else if (o.confusion != null) {
      for (int i = 0; i < confusion.length; i++) {
        confusion[i] += o.confusion[i];
      }
    }
    return this;
  }
}
