package org.vacuum.hypervisor.mjf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.config.vac.Machinetype;
import org.vacuum.config.vac.Machinetype.MachineModel;

class UserDataTest {

  private static final UUID ID = UUID.fromString("6c1f9a52-3b7e-4d21-9e0a-5f3c2b1a0d9e");
  private static final UserDataContext CONTEXT = new UserDataContext(
      "vac01.example.com", "UKI-EXAMPLE", "f1-05.example.com", "f1.example.com", ID,
      "http://169.254.169.253", "vacuum 0.1.0");

  @TempDir Path machinetypePath;
  private HttpServer http;

  @BeforeEach
  void setUp() throws IOException {
    Files.createDirectories(machinetypePath.resolve("files"));
  }

  @AfterEach
  void tearDown() {
    if (http != null) {
      http.stop(0);
    }
  }

  @Test
  void fillsEveryFixedPlaceholderIncludingLegacyNames() throws IOException {
    template("""
        space=##user_data_space##
        site=##user_data_site##
        type=##user_data_machinetype## legacy=##user_data_vmtype##
        host=##user_data_machine_hostname## legacy=##user_data_vm_hostname##
        version=##user_data_manager_version## legacy=##user_data_vmlm_version##
        factory=##user_data_manager_hostname## legacy=##user_data_vmlm_hostname##
        mf=##user_data_machinefeatures_url##
        jf=##user_data_jobfeatures_url##
        jo=##user_data_joboutputs_url##
        image=##user_data_root_image_url##
        uuid=##user_data_uuid##
        url=##user_data_url##
        """);

    String built = UserData.build(type(MachineModel.CERNVM3, "https://images.example.com/cernvm.iso", "user_data.tmpl"), CONTEXT);

    assertEquals("""
        space=vac01.example.com
        site=UKI-EXAMPLE
        type=lhcb legacy=lhcb
        host=f1-05.example.com legacy=f1-05.example.com
        version=vacuum 0.1.0 legacy=vacuum 0.1.0
        factory=f1.example.com legacy=f1.example.com
        mf=http://169.254.169.253/machinefeatures
        jf=http://169.254.169.253/jobfeatures
        jo=http://169.254.169.253/joboutputs
        image=https://images.example.com/cernvm.iso
        uuid=6c1f9a52-3b7e-4d21-9e0a-5f3c2b1a0d9e
        url=
        """, built);
  }

  @Test
  void unknownValuesAndALocalRootImageLeaveEmptyPlaceholders() throws IOException {
    template("[##user_data_site##][##user_data_uuid##][##user_data_root_image_url##]");
    UserDataContext noSiteNoUuid = new UserDataContext(
        "vac01.example.com", null, "f1-05.example.com", "f1.example.com", null, "http://169.254.169.253/", "vacuum 0.1.0");

    assertEquals("[][][]", UserData.build(type(MachineModel.VM_RAW, "images/root.qcow2", "user_data.tmpl"), noSiteNoUuid));
  }

  @Test
  void containersFindTheirFeaturesInBindMounts() throws IOException {
    template("##user_data_machinefeatures_url## ##user_data_jobfeatures_url## ##user_data_joboutputs_url##");

    assertEquals("/etc/machinefeatures /etc/jobfeatures /var/spool/joboutputs",
        UserData.build(type(MachineModel.DOCKER, "docker://registry/image", "user_data.tmpl"), CONTEXT));
    assertEquals("/tmp/machinefeatures /tmp/jobfeatures /tmp/joboutputs",
        UserData.build(type(MachineModel.SINGULARITY, "/cvmfs/image", "user_data.tmpl"), CONTEXT));
  }

  @Test
  void optionsAndFilesFillTheirPlaceholders() throws IOException {
    template("""
        a=##user_data_option_queue##
        b=##user_data_option_cert##
        c=##user_data_file_cert##
        d=##user_data_option_both##
        e=##user_data_file_both##
        f=##user_data_option_abs##
        """);
    Files.writeString(machinetypePath.resolve("files/hostcert.pem"), "CERT");
    Files.writeString(machinetypePath.resolve("files/both.txt"), "FROM FILE");
    Path absolute = machinetypePath.resolve("elsewhere.txt");
    Files.writeString(absolute, "ABSOLUTE");

    String built = UserData.build(
        type(MachineModel.CERNVM3, null, "user_data.tmpl",
            Map.of("queue", "lhcb-prod", "both", "from option"),
            Map.of("cert", "hostcert.pem", "both", "both.txt", "abs", absolute.toString()),
            false),
        CONTEXT);

    // An option and a file of the same name: the option is filled first and wins its placeholder;
    // the file still fills the legacy ##user_data_file_XXX##.
    assertEquals("""
        a=lhcb-prod
        b=CERT
        c=CERT
        d=from option
        e=FROM FILE
        f=ABSOLUTE
        """, built);
  }

  @Test
  void valuesAreTakenLiterallyNotAsRegexReplacements() throws IOException {
    template("x=##user_data_option_x##");

    assertEquals("x=$1 \\n ok", UserData.build(
        type(MachineModel.CERNVM3, null, "user_data.tmpl", Map.of("x", "$1 \\n ok"), Map.of(), false), CONTEXT));
  }

  @Test
  void everyLeftoverPlaceholderIsRemovedAndOtherTextKept() throws IOException {
    template("a##user_data_option_unset##b##user_data_x,y_9##c##user_data_Upper##d##other##e");

    assertEquals("abc##user_data_Upper##d##other##e",
        UserData.build(type(MachineModel.CERNVM3, null, "user_data.tmpl"), CONTEXT));
  }

  @Test
  void templateFromAUrlFillsUserDataUrl() throws IOException {
    AtomicReference<String> userAgent = new AtomicReference<>();
    String url = serve("/templates/lhcb.tmpl", 200, "from=##user_data_url## on ##user_data_machine_hostname##", userAgent);

    String built = UserData.build(type(MachineModel.CERNVM3, null, url), CONTEXT);

    assertEquals("from=" + url + " on f1-05.example.com", built);
    assertEquals("vacuum 0.1.0", userAgent.get());
  }

  @Test
  void urlThatFailsNamesMachinetypeOptionAndUrl() throws IOException {
    String url = serve("/templates/missing.tmpl", 404, "no", new AtomicReference<>());

    IOException e = assertThrows(IOException.class, () -> UserData.build(type(MachineModel.CERNVM3, null, url), CONTEXT));
    assertTrue(e.getMessage().contains("lhcb"), e.getMessage());
    assertTrue(e.getMessage().contains("user_data"), e.getMessage());
    assertTrue(e.getMessage().contains(url), e.getMessage());
    assertTrue(e.getMessage().contains("404"), e.getMessage());
  }

  @Test
  void missingTemplateNamesMachinetypeOptionAndPath() {
    IOException e = assertThrows(IOException.class,
        () -> UserData.build(type(MachineModel.CERNVM3, null, "nonesuch.tmpl"), CONTEXT));
    assertTrue(e.getMessage().contains("machinetype lhcb"), e.getMessage());
    assertTrue(e.getMessage().contains("user_data"), e.getMessage());
    assertTrue(e.getMessage().contains(machinetypePath.resolve("files/nonesuch.tmpl").toString()), e.getMessage());
  }

  @Test
  void missingUserDataFileNamesMachinetypeOptionAndPath() throws IOException {
    template("##user_data_option_cert##");

    IOException e = assertThrows(IOException.class, () -> UserData.build(
        type(MachineModel.CERNVM3, null, "user_data.tmpl", Map.of(), Map.of("cert", "nocert.pem"), false), CONTEXT));
    assertTrue(e.getMessage().contains("machinetype lhcb"), e.getMessage());
    assertTrue(e.getMessage().contains("user_data_file_cert"), e.getMessage());
    assertTrue(e.getMessage().contains(machinetypePath.resolve("files/nocert.pem").toString()), e.getMessage());
  }

  @Test
  void proxiesAreRefusedClearly() throws IOException {
    template("##user_data_option_x509_proxy##");

    IOException e = assertThrows(IOException.class, () -> UserData.build(
        type(MachineModel.CERNVM3, null, "user_data.tmpl", Map.of(), Map.of(), true), CONTEXT));
    assertTrue(e.getMessage().contains("user_data_proxy is not supported yet"), e.getMessage());
    assertTrue(e.getMessage().contains("lhcb"), e.getMessage());
  }

  @Test
  void noUserDataConfiguredIsAnError() {
    IOException e = assertThrows(IOException.class, () -> UserData.build(type(MachineModel.CERNVM3, null, null), CONTEXT));
    assertTrue(e.getMessage().contains("machinetype lhcb"), e.getMessage());
  }

  @Test
  void aMachinesOwnOptionsWinOverTheMachinetypesAndMayUseFixedPlaceholders() throws IOException {
    template("""
        queue=##user_data_option_queue##
        id=##user_data_option_pilot_id##
        site=##user_data_option_site_default##
        """);

    String built = UserData.build(
        type(MachineModel.CERNVM3, null, "user_data.tmpl", Map.of("queue", "from machinetype", "site_default", "kept"),
            Map.of(), false),
        CONTEXT, Map.of("queue", "c1.workers.ada.vac", "pilot_id", "##user_data_machine_hostname##_##user_data_uuid##"));

    assertEquals("""
        queue=c1.workers.ada.vac
        id=f1-05.example.com_6c1f9a52-3b7e-4d21-9e0a-5f3c2b1a0d9e
        site=kept
        """, built);
    IOException bad = assertThrows(IOException.class, () -> UserData.build(type(MachineModel.CERNVM3, null,
        "user_data.tmpl"), CONTEXT, Map.of("Bad-Name", "x")));
    assertTrue(bad.getMessage().contains("'Bad-Name'"), bad.getMessage());
  }

  private void template(String text) throws IOException {
    Files.writeString(machinetypePath.resolve("files/user_data.tmpl"), text);
  }

  private String serve(String path, int status, String body, AtomicReference<String> userAgent) throws IOException {
    http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    http.createContext(path, exchange -> {
      userAgent.set(exchange.getRequestHeaders().getFirst("User-Agent"));
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    });
    http.start();
    return "http://127.0.0.1:" + http.getAddress().getPort() + path;
  }

  private Machinetype type(MachineModel model, String rootImage, String userData) {
    return type(model, rootImage, userData, Map.of(), Map.of(), false);
  }

  private Machinetype type(
      MachineModel model, String rootImage, String userData, Map<String, String> options, Map<String, String> files,
      boolean proxy) {
    return new Machinetype("lhcb", 1.0, model, rootImage, userData, options, files, proxy, false,
        1, 1, 86400, 86400, 10, 600, null, 0, null, "lhcb", 3.0, null, "vda", "vdb", null, "/user_data",
        Set.of(), List.of(), machinetypePath, null);
  }
}
