/**
 * APEL accounting of every finished machine (individual and sync records, the apel-archive and
 * apel-outgoing directories) and the rendering of the audit trail. Filled by the accounting issue;
 * the module exists now so the reactor has the shape of DESIGN §2 from the start.
 */
package org.vacuum.accounting;
