package org.vacuum.security.pki;

/**
 * A failure of the space's PKI that a person must act on: a CA that already exists or is missing,
 * an unreadable PEM file, a certificate request the CA will not sign. The message is one line
 * naming what is wrong and where (the file, the serial, the name), fit to show a user as is.
 */
public class PkiException extends RuntimeException {

    public PkiException(String message) {
        super(message);
    }

    public PkiException(String message, Throwable cause) {
        super(message, cause);
    }
}
