package org.vacuum.batch.submit;

import java.time.Duration;
import java.util.Objects;
import org.vacuum.batch.ssh.SshKeys;

/**
 * Where and as whom the SSH submitters ({@link SshForkSubmitter}, {@link SlurmSubmitter}) work: a
 * resource's {@code accesshost} and {@code accessport}, and the allocation's {@code accountname}
 * and private key (the text {@code privtoken} decodes to). {@code timeout} bounds each remote step
 * (login, one command, one upload); waiting for retired pilots has its own limit in each submitter.
 *
 * <p>The sandbox root of a {@link PilotSpec} is a path on this host: absolute, or relative to the
 * account's home (SFTP and the login shell both start there). VC3's convention is the resource's
 * {@code scratchdir} followed by {@code /vacuum}, see {@link #sandboxRoot(String)}.
 */
public record SshResource(String host, int port, String user, String privateKey, Duration timeout) {

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  public SshResource {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(timeout, "timeout");
    if (host.isBlank()) throw new IllegalArgumentException("resource accesshost is empty");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("resource accessport " + port + " of " + host + " is not a port");
    }
    if (user.isBlank()) throw new IllegalArgumentException("allocation accountname for " + host + " is empty");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("ssh timeout for " + host + " must be positive, not " + timeout);
    }
  }

  /** From VC3's fields: the allocation's base64 {@code privtoken} is decoded here. */
  public static SshResource of(String accesshost, int accessport, String accountname, String privtoken) {
    return new SshResource(accesshost, accessport, accountname,
        SshKeys.decodeToken("privtoken", privtoken), DEFAULT_TIMEOUT);
  }

  /** {@code <scratchdir>/vacuum}: where a resource's pilot sandboxes go. */
  public static String sandboxRoot(String scratchdir) {
    String dir = scratchdir == null || scratchdir.isBlank() ? "." : scratchdir.strip();
    return dir.endsWith("/") ? dir + "vacuum" : dir + "/vacuum";
  }

  /** {@code user@host:port}, as errors name it. */
  public String target() {
    return user + "@" + host + ":" + port;
  }

  @Override
  public String toString() {
    return "SshResource[" + target() + ", timeout " + timeout + ", private key hidden]";
  }
}
