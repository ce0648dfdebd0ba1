package org.vacuum.node.security;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.vacuum.security.FileModes;
import org.vacuum.security.pki.CertificateKind;
import org.vacuum.security.pki.Credential;
import org.vacuum.security.pki.Lifetimes;
import org.vacuum.security.pki.PkiException;
import org.vacuum.security.pki.SpaceCa;
import org.vacuum.security.pki.SpaceIdentity;

/**
 * A node's security files under {@code STATE_DIR/pki/} (0700), and what a node's start makes of
 * them:
 * <pre>
 *   pki/ca/          the space CA (SpaceCa): only on the node that created the space
 *   pki/node/        this node's credential (key.pem 0600, cert.pem, ca.pem)
 *   pki/operator/    the operator credential root uses on this host (key.pem 0600)
 *   pki/crl.pem      the space's revocation list, as this node last received it
 *   pki/api-tokens   bearer tokens for scripts, hashed (0600)
 *   pki/join-tokens  one-time join tokens, hashed (0600)
 *   pki/data-keys    the space data keys that encrypt secrets at rest (0600)
 * </pre>
 *
 * <p>{@link #open} is the first step of a node's start: the first node of a new space (no
 * credential, no CA, no seed nodes) creates the CA and issues its own node credential and the
 * operator's; a node that holds the CA but no credential issues its own; a node with seed nodes but
 * no credential is refused with the command that joins it; a credential of another space is
 * refused by name. It never overwrites a credential that exists.
 */
public final class NodePki {

  /** The operator credential's name in its certificate. */
  public static final String OPERATOR = "operator";

  private final Path root;
  private final Optional<SpaceCa> ca;

  private NodePki(Path root, Optional<SpaceCa> ca) {
    this.root = root;
    this.ca = ca;
  }

  /** The layout under {@code stateDir}, creating nothing (for the CLI and tests). */
  public static NodePki at(Path stateDir, Lifetimes lifetimes) {
    Path root = stateDir.resolve("pki");
    Path caDir = root.resolve("ca");
    return new NodePki(root, SpaceCa.exists(caDir) ? Optional.of(SpaceCa.open(caDir, lifetimes)) : Optional.empty());
  }

  /**
   * Makes sure this node has its credential for {@code space}, as the class comment says.
   *
   * @param joining whether the node was given seed nodes (a space that exists elsewhere)
   * @throws PkiException with one line for the operator when the node cannot have one
   */
  public static NodePki open(Path stateDir, String space, String factoryName, boolean joining, Lifetimes lifetimes) {
    Path root = FileModes.privateDir(stateDir.resolve("pki"));
    Path caDir = root.resolve("ca");
    Path nodeDir = root.resolve("node");
    if (Credential.exists(nodeDir)) {
      Credential node = Credential.read(nodeDir);
      String named = SpaceIdentity.of(node.certificate()).map(SpaceIdentity::space).orElse("?");
      if (!named.equals(space)) {
        throw new PkiException(nodeDir + " holds a certificate of space '" + named + "', but this node is configured"
            + " for space '" + space + "' (vacuum.space, VACUUM_SPACE)");
      }
      return new NodePki(root, SpaceCa.exists(caDir) ? Optional.of(SpaceCa.open(caDir, lifetimes)) : Optional.empty());
    }
    if (!SpaceCa.exists(caDir) && joining) {
      throw new PkiException("this node has no certificate of space '" + space + "' yet: join it with "
          + "'vacuum node start --join HOST:PORT --token TOKEN' (a token from 'vacuum node token create' on a member)");
    }
    SpaceCa ca = SpaceCa.openOrInit(caDir, space, lifetimes);
    ca.issue(CertificateKind.NODE, factoryName).write(nodeDir);
    Path operatorDir = root.resolve(OPERATOR);
    if (!Credential.exists(operatorDir)) {
      ca.issue(CertificateKind.OPERATOR, OPERATOR).write(operatorDir);
    }
    copyCrl(ca, root);
    return new NodePki(root, Optional.of(ca));
  }

  private static void copyCrl(SpaceCa ca, Path root) {
    try {
      FileModes.writePublic(root.resolve("crl.pem"), Files.readAllBytes(ca.crlFile()));
    } catch (java.io.IOException e) {
      throw new PkiException("cannot copy the CRL " + ca.crlFile() + " to " + root + ": " + e.getMessage());
    }
  }

  /** One warning line per file or directory under {@code stateDir} looser than it should be. */
  public static List<String> looseModes(Path stateDir) {
    return FileModes.check(stateDir);
  }

  public Path root() {
    return root;
  }

  /** The CA, on the node that holds it. */
  public Optional<SpaceCa> ca() {
    return ca;
  }

  public Path nodeCredential() {
    return root.resolve("node");
  }

  public Path operatorCredential() {
    return root.resolve(OPERATOR);
  }

  /** The CRL the trust managers read: the CA's own where it lives here, else the copy received. */
  public Path crlFile() {
    return ca.map(SpaceCa::crlFile).orElse(root.resolve("crl.pem"));
  }

  public Path apiTokens() {
    return root.resolve("api-tokens");
  }

  public Path joinTokens() {
    return root.resolve("join-tokens");
  }

  public Path dataKeys() {
    return root.resolve("data-keys");
  }
}
