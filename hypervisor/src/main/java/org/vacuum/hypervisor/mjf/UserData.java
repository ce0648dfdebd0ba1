package org.vacuum.hypervisor.mjf;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.vacuum.config.vac.Machinetype;
import org.vacuum.config.vac.Machinetype.MachineModel;

/**
 * Builds a machine's user_data from its machinetype's template, as Vac's user_data templating does
 * (reference/vac.md §4.3).
 *
 * <p>Contract, in order: the template comes from the machinetype's {@code user_data}, a local path
 * resolved by {@link Machinetype#resolve} or an http(s) URL fetched with a 30-s timeout (then {@code
 * ##user_data_url##} becomes that URL); the fixed placeholders are filled (new and legacy names,
 * {@code ##user_data_uuid##} and {@code ##user_data_site##} when known, the MJF locations for the
 * machine's model, {@code ##user_data_root_image_url##} when root_image is a URL); every {@code
 * user_data_option_XXX} fills {@code ##user_data_option_XXX##}; every {@code user_data_file_XXX}
 * fills {@code ##user_data_file_XXX##} and {@code ##user_data_option_XXX##} with the file's contents
 * (an option of the same XXX was filled first, so it wins); finally every remaining {@code
 * ##user_data_[a-z0-9,_]*##} is removed. Options are applied in name order, so the result does not
 * depend on map order. Templates and files are UTF-8 text.
 *
 * <p>Not done here: x509 proxies ({@code user_data_proxy = true} fails), and Vac's CA directory
 * {@code /etc/grid-security/certificates} (URLs are verified against the JVM's trust store).
 */
public final class UserData {

  /** Vac's timeout for fetching a template. */
  static final Duration FETCH_TIMEOUT = Duration.ofSeconds(30);

  private static final Pattern LEFTOVER = Pattern.compile("##user_data_[a-z0-9,_]*##");
  private static final Pattern OPTION_NAME = Pattern.compile("[a-z0-9_]+");

  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(FETCH_TIMEOUT)
      .followRedirects(HttpClient.Redirect.NORMAL)
      .build();

  private UserData() {}

  /**
   * The user_data for one machine of {@code type}.
   *
   * @throws IOException naming the machinetype, the option and the path or URL when the template or
   *     a {@code user_data_file_*} cannot be read, or when the machinetype asks for a proxy
   */
  public static String build(Machinetype type, UserDataContext ctx) throws IOException {
    return build(type, ctx, Map.of());
  }

  /**
   * The user_data for one machine of {@code type} with this machine's own options (vacuum's
   * addition, e.g. a pilot's variables): each {@code machineOptions} entry fills {@code
   * ##user_data_option_NAME##} right after the template is read, so its value may itself hold the
   * fixed placeholders ({@code ##user_data_uuid##}, ...) and it wins over a machinetype option of
   * the same name, which thus acts as a default. Names must be {@code [a-z0-9_]+}.
   *
   * @throws IOException as {@link #build(Machinetype, UserDataContext)}, or naming a bad option name
   */
  public static String build(Machinetype type, UserDataContext ctx, Map<String, String> machineOptions)
      throws IOException {
    String name = type.name();
    if (type.userDataProxy()) {
      throw new IOException("machinetype " + name + ": user_data_proxy is not supported yet");
    }
    if (type.userData() == null || type.userData().isBlank()) {
      throw new IOException("machinetype " + name + ": no user_data is configured");
    }

    String text = read(type, "user_data", type.userData(), ctx);
    if (type.resolve(type.userData()) instanceof Machinetype.Url url) {
      text = text.replace("##user_data_url##", url.url());
    }
    for (Map.Entry<String, String> option : sorted(machineOptions).entrySet()) {
      if (!OPTION_NAME.matcher(option.getKey()).matches()) {
        throw new IOException("machinetype " + name + ": user_data option name '" + option.getKey()
            + "' of this machine is not [a-z0-9_]+");
      }
      text = text.replace("##user_data_option_" + option.getKey() + "##", option.getValue());
    }

    if (ctx.site() != null) {
      text = text.replace("##user_data_site##", ctx.site());
    }
    text = text.replace("##user_data_space##", ctx.space());
    text = text.replace("##user_data_machinetype##", name);
    text = text.replace("##user_data_machine_hostname##", ctx.machineName());
    text = text.replace("##user_data_manager_version##", ctx.managerVersion());
    text = text.replace("##user_data_manager_hostname##", ctx.factory());

    FeatureLocations mjf = FeatureLocations.of(type.machineModel(), ctx.guestUrl());
    text = text.replace("##user_data_machinefeatures_url##", mjf.machinefeatures());
    text = text.replace("##user_data_jobfeatures_url##", mjf.jobfeatures());
    text = text.replace("##user_data_joboutputs_url##", mjf.joboutputs());

    String rootImage = type.rootImage();
    if (rootImage != null && type.resolve(rootImage) instanceof Machinetype.Url) {
      text = text.replace("##user_data_root_image_url##", rootImage);
    }

    text = text.replace("##user_data_vmtype##", name);
    text = text.replace("##user_data_vm_hostname##", ctx.machineName());
    text = text.replace("##user_data_vmlm_version##", ctx.managerVersion());
    text = text.replace("##user_data_vmlm_hostname##", ctx.factory());

    if (ctx.uuid() != null) {
      text = text.replace("##user_data_uuid##", ctx.uuid().toString());
    }

    for (Map.Entry<String, String> option : sorted(type.userDataOptions()).entrySet()) {
      text = text.replace("##user_data_option_" + option.getKey() + "##", option.getValue());
    }
    for (Map.Entry<String, String> file : sorted(type.userDataFiles()).entrySet()) {
      String contents = read(type, "user_data_file_" + file.getKey(), file.getValue(), ctx);
      text = text.replace("##user_data_file_" + file.getKey() + "##", contents);
      text = text.replace("##user_data_option_" + file.getKey() + "##", contents);
    }

    return LEFTOVER.matcher(text).replaceAll("");
  }

  /** Where a machine of each model finds its features: URLs for VMs, bind mounts for containers (reference §4.2). */
  record FeatureLocations(String machinefeatures, String jobfeatures, String joboutputs) {
    static FeatureLocations of(MachineModel model, String guestUrl) {
      if (model == MachineModel.DOCKER) {
        return new FeatureLocations("/etc/machinefeatures", "/etc/jobfeatures", "/var/spool/joboutputs");
      }
      if (model == MachineModel.SINGULARITY) {
        return new FeatureLocations("/tmp/machinefeatures", "/tmp/jobfeatures", "/tmp/joboutputs");
      }
      String base = guestUrl.endsWith("/") ? guestUrl.substring(0, guestUrl.length() - 1) : guestUrl;
      return new FeatureLocations(base + "/machinefeatures", base + "/jobfeatures", base + "/joboutputs");
    }
  }

  private static Map<String, String> sorted(Map<String, String> map) {
    return map == null ? Map.of() : new TreeMap<>(map);
  }

  private static String read(Machinetype type, String option, String value, UserDataContext ctx) throws IOException {
    String where = "machinetype " + type.name() + ": " + option + " ";
    Machinetype.Source source = type.resolve(value);
    byte[] bytes;
    if (source instanceof Machinetype.Url url) {
      bytes = fetch(url.url(), ctx.managerVersion(), where);
      where += url.url();
    } else {
      Machinetype.LocalFile file = (Machinetype.LocalFile) source;
      where += file.path();
      try {
        bytes = Files.readAllBytes(file.path());
      } catch (IOException e) {
        throw new IOException(where + " cannot be read: " + e, e);
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IOException(where + " is not UTF-8 text", e);
    }
  }

  private static byte[] fetch(String url, String userAgent, String where) throws IOException {
    HttpRequest request;
    try {
      request = HttpRequest.newBuilder(URI.create(url))
          .timeout(FETCH_TIMEOUT)
          .header("User-Agent", userAgent)
          .GET()
          .build();
    } catch (IllegalArgumentException e) {
      throw new IOException(where + url + " is not a valid URL: " + e.getMessage(), e);
    }
    HttpResponse<byte[]> response;
    try {
      response = HTTP.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(where + url + ": interrupted while fetching");
    } catch (IOException e) {
      throw new IOException(where + url + " cannot be fetched: " + e, e);
    }
    if (response.statusCode() != 200) {
      throw new IOException(where + url + " cannot be fetched: HTTP " + response.statusCode());
    }
    return response.body();
  }
}
