/**
 * Rendering of the audit trail (DESIGN §2: "audit-replay rendering"): one line per persisted
 * event, as JSON or as a table row, and the operator's filter. Pure: the stream of events is read
 * by the node ({@code org.vacuum.audit} in actors).
 */
package org.vacuum.accounting.audit;
