package org.vacuum.security.secret;

/**
 * A value that {@link SecretBox} cannot decrypt (not encrypted, a key id it does not hold,
 * tampered or truncated) or a data-key file it cannot use. The message is one line naming the
 * key id or file; it never contains the value.
 */
public class SecretBoxException extends RuntimeException {

    public SecretBoxException(String message) {
        super(message);
    }

    public SecretBoxException(String message, Throwable cause) {
        super(message, cause);
    }
}
