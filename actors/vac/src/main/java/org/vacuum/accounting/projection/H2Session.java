package org.vacuum.accounting.projection;

import com.typesafe.config.Config;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.projection.jdbc.JdbcSession;

/**
 * A pekko-projection-jdbc session on the journal's own H2 database (the URL, user and password of
 * {@code pekko-persistence-jdbc.shared-databases.slick.db}), so projection offsets are stored with
 * the journal (DESIGN §6). One connection per session, in one transaction.
 */
final class H2Session implements JdbcSession {

  private final Connection connection;

  H2Session(Config db) {
    try {
      connection = DriverManager.getConnection(db.getString("url"), db.getString("user"), db.getString("password"));
      connection.setAutoCommit(false);
    } catch (SQLException e) {
      throw new IllegalStateException("the H2 journal database cannot be opened for projection offsets: "
          + e.getMessage(), e);
    }
  }

  /** The journal database's settings in the node's configuration. */
  static Config database(Config config) {
    return config.getConfig("pekko-persistence-jdbc.shared-databases.slick.db");
  }

  @Override
  public <Result> Result withConnection(Function<Connection, Result> func) throws Exception {
    return func.apply(connection);
  }

  @Override
  public void commit() throws SQLException {
    connection.commit();
  }

  @Override
  public void rollback() throws SQLException {
    connection.rollback();
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }
}
