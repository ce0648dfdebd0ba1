package org.vacuum.security.token;

/**
 * A token that is refused: malformed, unknown, forged, used, revoked or expired. The message is
 * one line saying which and naming the token by its id (never its secret), fit to show as is.
 * Whatever refused it changed nothing.
 */
public class TokenRefused extends RuntimeException {

    public TokenRefused(String message) {
        super(message, null, false, false);
    }
}
