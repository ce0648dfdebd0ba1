package org.vacuum.accounting.apel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * APEL sync records (reference/vac.md §5.4, Vac's {@code apel-sync}): how many jobs of one month a
 * site published, counted from {@code apel-archive/<YYYYMM>*}{@code /*}, so the APEL server can
 * tell whether it received them all.
 *
 * <p>The newest archived record of the month gives the Site and SubmitHost; a record with other
 * values (typically one written before {@code gocdb_sitename} was set) or without them is left out
 * of the count and reported, for the site admin to fix. A month without records yields no sync
 * record: ssmsend must not send one without a Site.
 */
public final class ApelSync {

  private static final Pattern YYYYMM = Pattern.compile("\\d{4}(0[1-9]|1[0-2])");

  private ApelSync() {}

  /**
   * One month's count.
   *
   * @param site Site of the newest record, or null when the month has no records
   * @param submitHost SubmitHost of the newest record, or null when the month has no records
   * @param numberOfJobs records that agree with the newest one (one job per file)
   * @param skipped one "please fix" line per record left out, naming its file
   */
  public record Summary(YearMonth month, String site, String submitHost, int numberOfJobs, List<String> skipped) {
    /** Whether the month has any record to sync. */
    public boolean empty() {
      return numberOfJobs == 0;
    }
  }

  /** The month of a {@code YYYYMM} argument; the exception's message names the argument. */
  public static YearMonth month(String yyyymm) {
    if (yyyymm == null || !YYYYMM.matcher(yyyymm).matches()) {
      throw new IllegalArgumentException("'" + yyyymm + "' is not a month: give it as YYYYMM, for example 202401");
    }
    return YearMonth.of(Integer.parseInt(yyyymm.substring(0, 4)), Integer.parseInt(yyyymm.substring(4)));
  }

  /**
   * The month to sync when none is given: the one containing {@code now − 24 h} in UTC, so a daily
   * run publishes the month so far, and the run on the 1st the final count of the month before.
   */
  public static YearMonth defaultMonth(Instant now) {
    return YearMonth.from(now.minus(Duration.ofHours(24)).atZone(ZoneOffset.UTC));
  }

  /** Counts the month's records in {@code accountingDir/apel-archive}, newest first. */
  public static Summary summarise(Path accountingDir, YearMonth month) throws IOException {
    List<Path> files = recordFiles(accountingDir.resolve(ApelFiles.ARCHIVE), month);
    String site = null;
    String submitHost = null;
    Path reference = null;
    int jobs = 0;
    List<String> skipped = new ArrayList<>();
    for (Path file : files) {
      String fileSite;
      String fileSubmitHost;
      try {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        fileSite = value(text, "Site");
        fileSubmitHost = value(text, "SubmitHost");
      } catch (IOException e) {
        skipped.add("skipped " + file + ": cannot read it (" + e.getMessage() + "); please fix its permissions");
        continue;
      }
      if (fileSite == null || fileSubmitHost == null) {
        skipped.add("skipped " + file + ": it has no " + (fileSite == null ? "Site" : "SubmitHost")
            + " line; please fix the file");
        continue;
      }
      if (reference == null) {
        site = fileSite;
        submitHost = fileSubmitHost;
        reference = file;
      } else if (!fileSite.equals(site)) {
        skipped.add("skipped " + file + ": Site is '" + fileSite + "', not '" + site + "' as in the newest record "
            + reference + "; please fix the file (and copy it to " + ApelFiles.OUTGOING + " to republish it)");
        continue;
      } else if (!fileSubmitHost.equals(submitHost)) {
        skipped.add("skipped " + file + ": SubmitHost is '" + fileSubmitHost + "', not '" + submitHost
            + "' as in the newest record " + reference + "; please fix the file (and copy it to "
            + ApelFiles.OUTGOING + " to republish it)");
        continue;
      }
      jobs++;
    }
    return new Summary(month, site, submitHost, jobs, List.copyOf(skipped));
  }

  /** The sync record of a month with records, ending {@code "%%\n"}. */
  public static String record(Summary summary) {
    if (summary.empty()) {
      throw new IllegalArgumentException("no records in " + summary.month() + ": there is no sync record to make");
    }
    return "APEL-sync-message: v0.1\n"
        + "Site: " + summary.site() + "\n"
        + "SubmitHost: " + summary.submitHost() + "\n"
        + "NumberOfJobs: " + summary.numberOfJobs() + "\n"
        + "Month: " + summary.month().getMonthValue() + "\n"
        + "Year: " + summary.month().getYear() + "\n"
        + "%%\n";
  }

  /**
   * Writes a sync record to {@code apel-outgoing/<today>/<HHMMSS12345678>} (UTC), whole, with
   * Vac's modes; returns the file.
   */
  public static Path write(Path accountingDir, String record, Instant now) throws IOException {
    Path dir = accountingDir.toAbsolutePath().normalize();
    Path day = dir.resolve(ApelFiles.OUTGOING).resolve(ApelFiles.day(now));
    String name = ApelFiles.name(now);
    while (Files.exists(day.resolve(name))) {
      name = ApelFiles.next(name);
    }
    ApelFiles.directory(dir, day);
    Path file = day.resolve(name);
    ApelFiles.write(dir.resolve(ApelFiles.TMP), file, record);
    return file;
  }

  // Vac's glob apel-archive/<YYYYMM>*/*, newest first: date directories and HHMMSS names sort by time.
  private static List<Path> recordFiles(Path archive, YearMonth month) throws IOException {
    List<Path> files = new ArrayList<>();
    if (!Files.isDirectory(archive)) {
      return files;
    }
    String prefix = String.format("%04d%02d", month.getYear(), month.getMonthValue());
    try (DirectoryStream<Path> days = Files.newDirectoryStream(archive, prefix + "*")) {
      for (Path day : days) {
        if (!Files.isDirectory(day)) {
          continue;
        }
        try (DirectoryStream<Path> records = Files.newDirectoryStream(day)) {
          for (Path file : records) {
            if (Files.isRegularFile(file) && !file.getFileName().toString().startsWith(".")) {
              files.add(file);
            }
          }
        }
      }
    }
    files.sort(Comparator.comparing((Path p) -> p.getParent().getFileName().toString())
        .thenComparing(p -> p.getFileName().toString()).reversed());
    return files;
  }

  private static String value(String record, String key) {
    for (String line : record.split("\n")) {
      if (line.startsWith(key + ":")) {
        return line.substring(key.length() + 1).trim();
      }
    }
    return null;
  }
}
