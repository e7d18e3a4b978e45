package sparkcnn.jobs.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Asynchronous successive halving fed rigged validation metrics: which trials it promotes, when, and which stop. */
class SuccessiveHalvingTest {
  /** Each trial's rigged quality; a rung's metric is quality + 0.01 * rung (longer training helps a little). */
  private static final double[] QUALITY = {0.5, 0.9, 0.1, 0.6, 0.2, 0.8, 0.3, 0.95, 0.4};

  private static List<Integer> trials(int n) {
    List<Integer> t = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      t.add(i);
    }
    return t;
  }

  /** Runs the scheduler with `workers` slots; work finishes in the order it started. Returns (trial, rung) pairs. */
  private static List<List<Integer>> drive(TrialScheduler s, int workers, int failing) {
    List<List<Integer>> order = new ArrayList<>();
    Deque<TrialScheduler.Work> running = new ArrayDeque<>();
    while (true) {
      TrialScheduler.Work w;
      while (running.size() < workers && (w = s.next()) != null) {
        order.add(List.of(w.trial(), w.rung()));
        assertEquals(s.rungEpochs().get(w.rung()), w.epochs());
        running.add(w);
      }
      if (running.isEmpty()) {
        return order;
      }
      TrialScheduler.Work done = running.poll();
      if (done.trial() == failing) {
        s.failed(done.trial());
      } else {
        s.reported(done.trial(), done.rung(), QUALITY[done.trial()] + 0.01 * done.rung());
      }
    }
  }

  @Test
  void promotesTheTopThirdOfEachRungAsSoonAsItIsKnown() {
    SuccessiveHalving s = new SuccessiveHalving(trials(9), List.of(1, 3, 9), 3);
    // One worker. After 3 trials trial 1 is the best third of rung 1 and goes on at once; trial 5 joins it when
    // 6 have finished rung 1 (top 2), trial 7 when 8 have (top 2 of 8 are 7 and 1); with 3 in rung 2, trial 7 is
    // its best third and trains to the end. Trial 8 then finds nothing to promote.
    assertEquals(List.of(List.of(0, 0), List.of(1, 0), List.of(2, 0), List.of(1, 1), List.of(3, 0), List.of(4, 0),
        List.of(5, 0), List.of(5, 1), List.of(6, 0), List.of(7, 0), List.of(7, 1), List.of(7, 2), List.of(8, 0)),
        drive(s, 1, -1));
    assertEquals(List.of(7, 1, 5), s.top(0));
    assertEquals(List.of(7), s.top(1));
    assertNull(s.next());
  }

  @Test
  void asynchronousPromotionCanOutrunTheFinalRanking() {
    // Trial 0 is the best of the first three and is promoted before trials 3..8 show it is only fourth best:
    // ASHA's price for never waiting. Three workers: rung-2 work starts while rung-1 work is still running.
    double[] saved = QUALITY.clone();
    try {
      System.arraycopy(new double[] {0.7, 0.1, 0.2, 0.9, 0.8, 0.95, 0.3, 0.4, 0.5}, 0, QUALITY, 0, 9);
      SuccessiveHalving s = new SuccessiveHalving(trials(9), List.of(1, 3, 9), 3);
      List<List<Integer>> order = drive(s, 3, -1);
      List<Integer> rungTwo = order.stream().filter(p -> p.get(1) == 1).map(p -> p.get(0)).toList();
      assertEquals(List.of(0, 3, 5, 4), rungTwo);
      assertEquals(List.of(5, 3, 4), s.top(0));
      assertEquals(9, order.stream().filter(p -> p.get(1) == 0).count());
    } finally {
      System.arraycopy(saved, 0, QUALITY, 0, 9);
    }
  }

  @Test
  void aFailedTrialIsNeverPromotedAndReplayedReportsResumeTheSameSchedule() {
    SuccessiveHalving s = new SuccessiveHalving(trials(9), List.of(1, 3, 9), 3);
    List<List<Integer>> order = drive(s, 1, 7);
    // Trial 7 (the best) fails at rung 1: trial 3 takes its place among rung 1's best (after 1 and 5).
    assertEquals(List.of(List.of(7, 0)), order.stream().filter(p -> p.get(0) == 7).toList());
    assertEquals(List.of(List.of(1, 0), List.of(1, 1), List.of(1, 2)), order.stream().filter(p -> p.get(0) == 1)
        .toList());
    // A new scheduler told the first five reports (sweep --resume) goes on exactly as the first would have.
    SuccessiveHalving first = new SuccessiveHalving(trials(9), List.of(1, 3, 9), 3);
    List<List<Integer>> full = drive(first, 1, -1);
    SuccessiveHalving replayed = new SuccessiveHalving(trials(9), List.of(1, 3, 9), 3);
    for (List<Integer> p : full.subList(0, 5)) {
      replayed.reported(p.get(0), p.get(1), QUALITY[p.get(0)] + 0.01 * p.get(1));
    }
    assertEquals(full.subList(5, full.size()), drive(replayed, 1, -1));
  }

  @Test
  void rungsEndAtMinTimesEtaPowersAndAtTheFullBudget() {
    assertEquals(List.of(1, 3, 9), SuccessiveHalving.rungEpochs(1, 3, 0, 9));
    assertEquals(List.of(1, 3, 9, 10), SuccessiveHalving.rungEpochs(1, 3, 0, 10));
    assertEquals(List.of(1, 9), SuccessiveHalving.rungEpochs(1, 3, 2, 9));
    assertEquals(List.of(2, 4, 8), SuccessiveHalving.rungEpochs(2, 2, 0, 8));
    assertEquals(List.of(5), new RunToEnd(trials(3), 5).rungEpochs());
  }
}
