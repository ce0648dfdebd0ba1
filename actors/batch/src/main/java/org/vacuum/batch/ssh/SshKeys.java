package org.vacuum.batch.ssh;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.Base64;
import java.util.Iterator;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.util.security.SecurityUtils;

/**
 * The SSH key pair vacuum issues to an allocation whose resource is reached by {@code ssh} (VC3's
 * Credible step of the allocation state machine): the community installs {@link #publicKeyLine()} in
 * {@code ~/.ssh/authorized_keys} of the allocation's account, and vacuum logs in with
 * {@link #privateKey()}.
 *
 * <p>Keys are RSA, {@value #RSA_BITS} bits, so the allocation's {@code sectype} stays VC3's
 * {@value #SECTYPE} (the only SSH key type VC3's allocation, auth.conf and APF's SSH handler know) and
 * the JDK's own providers suffice. Clients sign with {@code rsa-sha2-256/512}, which every OpenSSH since
 * 7.2 accepts. The public key is one OpenSSH {@code authorized_keys} line whose comment is the
 * allocation name (VC3's principal). The private key is unencrypted {@code openssh-key-v1} text
 * ({@code -----BEGIN OPENSSH PRIVATE KEY-----}), the format {@code ssh-keygen} writes: OpenSSH's
 * {@code ssh -i} and this module's SSH client both read it. {@link #pubtoken()} and {@link #privtoken()}
 * are the base64 forms VC3 stores in the allocation's {@code pubtoken} and {@code privtoken}.
 *
 * <p>{@link #toString()} never shows the private key, so a pair may be logged.
 */
public record SshKeys(String publicKeyLine, String privateKey) {

  /** VC3's {@code sectype} for these keys. */
  public static final String SECTYPE = "ssh-rsa";

  /** Modulus size: the smallest RSA size NIST keeps acceptable past 2030. */
  public static final int RSA_BITS = 3072;

  public SshKeys {
    if (publicKeyLine == null || publicKeyLine.isBlank()) throw new IllegalArgumentException("allocation public key is empty");
    if (privateKey == null || privateKey.isBlank()) throw new IllegalArgumentException("allocation private key is empty");
  }

  /**
   * A new key pair for allocation {@code allocationName}, which becomes the public key's comment.
   *
   * @throws IllegalArgumentException if the name is blank or holds whitespace or control characters
   *     (it would break the {@code authorized_keys} line)
   */
  public static SshKeys generate(String allocationName) {
    if (allocationName == null || allocationName.isBlank()
        || allocationName.codePoints().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
      throw new IllegalArgumentException("allocation name '" + allocationName
          + "' cannot be an SSH key comment: it must be non-empty without spaces or control characters");
    }
    try {
      KeyPair pair = KeyUtils.generateKeyPair(KeyPairProvider.SSH_RSA, RSA_BITS);
      ByteArrayOutputStream pub = new ByteArrayOutputStream();
      OpenSSHKeyPairResourceWriter.INSTANCE.writePublicKey(pair.getPublic(), allocationName, pub);
      ByteArrayOutputStream priv = new ByteArrayOutputStream();
      OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(pair, allocationName, null, priv);
      return new SshKeys(pub.toString(StandardCharsets.US_ASCII).strip(), priv.toString(StandardCharsets.US_ASCII));
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate an RSA " + RSA_BITS + " key pair for allocation '"
          + allocationName + "': " + e, e);
    }
  }

  /** The pair whose {@code pubtoken} and {@code privtoken} (base64, as VC3 stores them) are these. */
  public static SshKeys fromTokens(String pubtoken, String privtoken) {
    return new SshKeys(decodeToken("pubtoken", pubtoken).strip(), decodeToken("privtoken", privtoken));
  }

  /** VC3's {@code pubtoken}: the base64 of {@link #publicKeyLine()}. */
  public String pubtoken() {
    return encodeToken(publicKeyLine);
  }

  /** VC3's {@code privtoken}: the base64 of {@link #privateKey()}. */
  public String privtoken() {
    return encodeToken(privateKey);
  }

  /** The public key, parsed back from {@link #publicKeyLine()}. */
  public PublicKey publicKey() {
    return parsePublicKeyLine(publicKeyLine);
  }

  /** The public key's comment: the allocation name it was generated for, or empty. */
  public String comment() {
    String c = AuthorizedKeyEntry.parseAuthorizedKeyEntry(publicKeyLine).getComment();
    return c == null ? "" : c;
  }

  /** OpenSSH's {@code SHA256:...} fingerprint of the public key, as {@code ssh-keygen -l} prints it. */
  public String fingerprint() {
    return KeyUtils.getFingerPrint(publicKey());
  }

  /** The base64 (standard alphabet, padded) of {@code text} in UTF-8. */
  public static String encodeToken(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The UTF-8 text whose base64 is {@code token}; line breaks in the token (as {@code base64} wraps it)
   * are ignored.
   *
   * @param field the token's field name, for the error
   * @throws IllegalArgumentException naming {@code field} if the token is empty or not base64
   */
  public static String decodeToken(String field, String token) {
    if (token == null || token.isBlank()) throw new IllegalArgumentException(field + " is empty");
    try {
      return new String(Base64.getMimeDecoder().decode(token.strip()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(field + " is not base64: " + e.getMessage(), e);
    }
  }

  /**
   * The public key of one OpenSSH {@code authorized_keys} / {@code .pub} line.
   *
   * @throws IllegalArgumentException if the line is not a public key this library knows
   */
  public static PublicKey parsePublicKeyLine(String line) {
    PublicKey key;
    try {
      key = AuthorizedKeyEntry.parseAuthorizedKeyEntry(line).resolvePublicKey(null, PublicKeyEntryResolver.FAILING);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new IllegalArgumentException("not an SSH public key line (" + e.getMessage() + "): " + abbreviate(line), e);
    }
    if (key == null) throw new IllegalArgumentException("not an SSH public key line: " + abbreviate(line));
    return key;
  }

  /**
   * The key pair of an unencrypted private key file's text: OpenSSH's {@code openssh-key-v1}, or PEM
   * (PKCS#1 {@code BEGIN RSA PRIVATE KEY}, {@code BEGIN EC PRIVATE KEY}, PKCS#8 {@code BEGIN PRIVATE KEY}).
   *
   * @throws IllegalArgumentException if the text holds no key, or a passphrase-protected one (vacuum has
   *     no passphrase to give; VC3 never set one)
   */
  public static KeyPair parsePrivateKey(String privateKeyText) {
    if (privateKeyText == null || privateKeyText.isBlank()) throw new IllegalArgumentException("private key is empty");
    Iterator<KeyPair> pairs;
    try {
      Iterable<KeyPair> loaded = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName("allocation private key"),
          new ByteArrayInputStream(privateKeyText.getBytes(StandardCharsets.UTF_8)), FilePasswordProvider.EMPTY);
      pairs = loaded == null ? null : loaded.iterator();
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new IllegalArgumentException("cannot read the private key (unencrypted OpenSSH or PEM expected): "
          + e.getMessage(), e);
    }
    if (pairs == null || !pairs.hasNext()) {
      throw new IllegalArgumentException("the private key text holds no key in OpenSSH or PEM format");
    }
    return pairs.next();
  }

  private static String abbreviate(String s) {
    if (s == null) return "null";
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  /** Hides the private key: a pair may be logged. */
  @Override
  public String toString() {
    return "SshKeys[" + abbreviate(publicKeyLine) + ", private key hidden]";
  }
}
