package org.vacuum.infoservice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.vacuum.security.secret.SecretBox;

/**
 * Secrets at rest for the infoservice: every attribute its {@link InfoKind} marks secret (an
 * allocation's {@code privtoken}, a cluster's {@code app_sectoken}, …) is encrypted with the space
 * data key (AES-GCM, {@link SecretBox}) before it is persisted, so neither the journal, its backups
 * nor the audit trail hold it in clear. Values stay JSON strings: {@code "enc:v1:<key id>:…"}.
 *
 * <p>The data keys live in {@code vacuum.security.data-keys} (0600), created on first use. The
 * entity seals what it persists; whoever needs the clear value (the lifecycles, on control nodes)
 * calls {@link #reveal}. Values persisted in clear before this existed are revealed as they are and
 * sealed at their next change.
 */
public final class InfoSecrets implements Extension {

  private final Path keys;
  private SecretBox box;

  private InfoSecrets(Path keys) {
    this.keys = keys;
  }

  public static InfoSecrets get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** For tests and tools outside a running system. */
  public static InfoSecrets at(Path keys) {
    return new InfoSecrets(keys);
  }

  // The key file is read once, on the first secret this node handles, never for a system without any.
  private synchronized SecretBox box() {
    if (box == null) {
      box = SecretBox.openOrCreate(keys);
    }
    return box;
  }

  /** {@code attributes} (JSON text by name) with the secret ones of {@code kind} encrypted. */
  public Map<String, String> seal(InfoKind kind, Map<String, String> attributes) {
    Map<String, String> sealed = new LinkedHashMap<>(attributes);
    attributes.forEach((name, json) -> {
      InfoAttribute attribute = kind.attributes().get(name);
      if (attribute != null && attribute.secret()) {
        JsonNode value = InfoKind.fromText(Map.of(name, json)).get(name);
        if (value.isTextual() && !SecretBox.isEncrypted(value.asText())) {
          sealed.put(name, TextNode.valueOf(box().encrypt(value.asText())).toString());
        }
      }
    });
    return sealed;
  }

  /** The clear text of a secret attribute's value (as {@link InfoKind#text} gives it); null stays null. */
  public String reveal(String text) {
    return text == null || !SecretBox.isEncrypted(text) ? text : box().decrypt(text);
  }

  /** The stored JSON text of an attribute, decrypted if it is a sealed secret, for comparing with a new value. */
  String revealJson(String json) {
    if (json == null || !json.startsWith("\"" + SecretBox.PREFIX)) {
      return json;
    }
    return TextNode.valueOf(reveal(InfoKind.fromText(Map.of("v", json)).get("v").asText())).toString();
  }

  static final class Id extends ExtensionId<InfoSecrets> {
    static final Id INSTANCE = new Id();

    @Override
    public InfoSecrets createExtension(ActorSystem<?> system) {
      Config config = system.settings().config();
      String keys = config.getString("vacuum.security.data-keys");
      return new InfoSecrets(keys.isEmpty()
          ? Path.of(config.getString("vacuum.state-dir")).resolve("pki").resolve("data-keys")
          : Path.of(keys));
    }
  }
}
