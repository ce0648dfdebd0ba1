/**
 * Security of a space, as a plain library (no Pekko, no HTTP) for the node and the CLI alike.
 *
 * <p>Files, all under {@code STATE_DIR/pki/} (0700) on the node that keeps the CA:
 * <ul>
 * <li>{@code ca.key} (0600), {@code ca.pem}, {@code crl.pem}, {@code index} (0600):
 *     {@link org.vacuum.security.pki.SpaceCa};
 * <li>{@code join-tokens}, {@code api-tokens} (0600, hashes only):
 *     {@link org.vacuum.security.token.JoinTokens}, {@link org.vacuum.security.token.ApiTokens};
 * <li>{@code data-keys} (0600): {@link org.vacuum.security.secret.SecretBox}.
 * </ul>
 * A holder's credential ({@code key.pem}, {@code cert.pem}, {@code ca.pem}) is a directory of its
 * own: {@link org.vacuum.security.pki.Credential}. TLS is built from these files by
 * {@link org.vacuum.security.pki.TlsContexts} and {@link org.vacuum.security.pki.ServerTls}.
 * Every file is written atomically with the mode above ({@link org.vacuum.security.FileModes});
 * {@link org.vacuum.security.FileModes#check} lists what is looser, for start-up warnings.
 */
package org.vacuum.security;
