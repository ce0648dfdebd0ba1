package org.vacuum.batch.sched;

/**
 * Caps pilots over the whole factory ({@code [Factory] maxperfactory.maximum}), with total =
 * running + pending over every queue: total above the maximum → 0; {@code n + total} above it →
 * {@code maximum − total}; else n. The first rule also turns a retirement into 0, as in APF: a
 * factory over its cap stops changing pilots until the count comes down by itself.
 *
 * <p>Where APF has no rule, vacuum chooses: an unset maximum passes the input unchanged (APF would
 * return 0 for every queue), and an unknown factory-wide total returns 0 like the other caps
 * without data (APF fails).
 *
 * @param maximum the cap, or null when unset
 */
public record MaxPerFactory(Integer maximum) implements SchedPlugin {

  public static final String NAME = "MaxPerFactory";

  @Override
  public Result apply(int n, QueueCounts counts) {
    if (maximum == null) {
      return new Result(n, NAME + ":comment=not set,in=" + n + ",ret=" + n);
    }
    if (counts.factoryPilots().isEmpty()) {
      return new Result(0, NAME + ":comment=no factory info,in=" + n + ",ret=0");
    }
    int total = counts.factoryPilots().getAsInt();
    int out = n;
    if (total > maximum) {
      out = 0;
    } else if ((long) n + total > maximum) {
      out = maximum - total;
    }
    return new Result(out, NAME + ":in=" + n + ",total=" + total + ",maxperfactory=" + maximum
        + ",ret=" + out);
  }
}
