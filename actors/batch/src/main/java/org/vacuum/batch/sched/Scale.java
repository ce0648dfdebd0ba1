package org.vacuum.batch.sched;

/**
 * Multiplies the input by {@code sched.scale.factor} (default 1.0) and rounds up: {@code ceil(n ×
 * factor)}. Rounding up holds for negatives too ({@code ceil(−2.5) = −2}), as in APF.
 *
 * @param factor a finite, non-negative factor
 */
public record Scale(double factor) implements SchedPlugin {

  public static final String NAME = "Scale";

  public Scale {
    if (!Double.isFinite(factor) || factor < 0) {
      throw new IllegalArgumentException("scale factor must be a finite number >= 0, not " + factor);
    }
  }

  @Override
  public Result apply(int n, QueueCounts counts) {
    int out = SchedPlugin.clamp((long) Math.ceil(n * factor));
    return new Result(out, NAME + ":in=" + n + ",factor=" + factor + ",ret=" + out);
  }
}
