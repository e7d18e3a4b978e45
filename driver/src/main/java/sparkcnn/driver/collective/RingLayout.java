package sparkcnn.driver.collective;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * How a vector of length L (or its elements from a start on) is cut for a ring of n ranks: into buckets of at
 * most B floats from the END down
 * (backward fills gradients from the last layer to the first, so the last bucket is ready first), each bucket
 * into n chunks of near-equal size. Rank r owns chunk r of every bucket: it receives their full sums in the
 * reduce-scatter, updates them (its shard of the parameters and of the optimizer state) and sends them out in
 * the all-gather. A pure function of (L, B, n), so every rank and the driver agree on it.
 */
public final class RingLayout {
  /** Elements [lo, hi). */
  public record Range(int lo, int hi) {
    public int size() {
      return hi - lo;
    }
  }

  private final int length;
  private final int ranks;
  private final List<Range> buckets = new ArrayList<>();

  public RingLayout(int length, int bucketFloats, int ranks) {
    this(0, length, bucketFloats, ranks);
  }

  /**
   * Only elements [start, length) travel: the ones before start (a frozen backbone's gradients and parameters,
   * which stay zero and unchanged) are left out of every bucket.
   */
  public RingLayout(int start, int length, int bucketFloats, int ranks) {
    if (bucketFloats < 1 || ranks < 1 || start < 0 || start > length) {
      throw new IllegalArgumentException("ring layout: bucket size and ranks must be positive, 0 <= start <= length");
    }
    this.length = length;
    this.ranks = ranks;
    for (int hi = length; hi > start; hi -= bucketFloats) {
      buckets.add(new Range(Math.max(start, hi - bucketFloats), hi));
    }
  }

  public int length() {
    return length;
  }

  public int ranks() {
    return ranks;
  }

  /** Buckets in the order they are reduced: highest offsets first. */
  public List<Range> buckets() {
    return buckets;
  }

  /** Chunk c (0 <= c < ranks) of a bucket. */
  public Range chunk(Range bucket, int c) {
    long n = bucket.size();
    return new Range(bucket.lo() + (int) (n * c / ranks), bucket.lo() + (int) (n * (c + 1) / ranks));
  }

  /** What rank r owns, in ascending order (its shard, compacted in this order). */
  public List<Range> owned(int r) {
    List<Range> out = new ArrayList<>();
    for (Range b : buckets) {
      Range c = chunk(b, r);
      if (c.size() > 0) {
        out.add(c);
      }
    }
    out.sort(Comparator.comparingInt(Range::lo));
    return out;
  }

  /** Rank r's owned elements within [lo, hi) of the vector: its shard of the array that holds that segment. */
  public Shard shard(int r, int lo, int hi) {
    List<Range> parts = new ArrayList<>();
    int n = 0;
    for (Range c : owned(r)) {
      int a = Math.max(lo, c.lo());
      int b = Math.min(hi, c.hi());
      if (a < b) {
        parts.add(new Range(a - lo, b - lo));
        n += b - a;
      }
    }
    return new Shard(parts, n);
  }

  /** Ranges of one array (offsets relative to it) that make up a shard, compacted in this order. */
  public record Shard(List<Range> ranges, int size) {
    /** The shard's elements of full, into dst (size long); returns dst. */
    public float[] gather(float[] full, float[] dst) {
      int at = 0;
      for (Range r : ranges) {
        System.arraycopy(full, r.lo(), dst, at, r.size());
        at += r.size();
      }
      return dst;
    }

    public boolean[] gather(boolean[] full) {
      boolean[] dst = new boolean[size];
      int at = 0;
      for (Range r : ranges) {
        System.arraycopy(full, r.lo(), dst, at, r.size());
        at += r.size();
      }
      return dst;
    }

    /** The inverse: the shard's elements from src back into full. */
    public void scatter(float[] src, float[] full) {
      int at = 0;
      for (Range r : ranges) {
        System.arraycopy(src, at, full, r.lo(), r.size());
        at += r.size();
      }
    }
  }
}
