#!/usr/bin/env bash
# Dev/test launcher for a single-node Apache Cassandra 5.0.9 (cassandra-all from Maven Central).
#
# Cassandra always runs in its own JVM, started here in the background and detached from the
# caller's session, so a test JVM (or a Pekko node) never shares a process with it.  Everything
# an instance owns (config, data, logs, pid) lives under the --dir given, so several instances
# can run side by side as long as they use different ports.
#
# Usage:
#   dev-cassandra.sh start  --dir DIR [--port CQLPORT] [--storage-port P] [--heap 512M]
#                           [--jmx-port P] [--timeout SECONDS]
#   dev-cassandra.sh stop   --dir DIR
#   dev-cassandra.sh status --dir DIR
#
# Environment:
#   DEV_CASSANDRA_JAVA_HOME  Java 17 to run Cassandra with (default: the Debian OpenJDK 17,
#                            else JAVA_HOME).
#   DEV_CASSANDRA_JVM_OPTS   extra JVM options, appended last (word-split).
#   MVN                      Maven command used to resolve the classpath (default: mvn).
#
# Exit codes: 0 ok; 1 failure; 2 usage error; status exits 3 when the instance is not running.

set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROG="$(basename "$0")"
MAIN_CLASS=org.apache.cassandra.service.CassandraDaemon
CLASSPATH_CACHE="$HERE/target/classpath.txt"

die() { echo "$PROG: error: $*" >&2; exit 1; }
usage_error() { echo "$PROG: $*" >&2; echo "run '$PROG --help' for usage" >&2; exit 2; }
usage() { sed -n '/^# Usage:/,/^# Exit codes/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
log() { echo "$PROG: $*" >&2; }

# ---------------------------------------------------------------------------------------------
# Argument parsing

CMD="${1:-}"
[ -n "$CMD" ] || usage_error "missing command"
shift
case "$CMD" in
    -h|--help|help) usage; exit 0 ;;
    start|stop|status) ;;
    *) usage_error "unknown command '$CMD'" ;;
esac

DIR=""
CQL_PORT=9042
PORT_GIVEN=""
STORAGE_PORT=""
HEAP=512M
JMX_PORT=""
TIMEOUT=120
while [ $# -gt 0 ]; do
    opt="$1"
    case "$opt" in
        --dir|--port|--storage-port|--heap|--jmx-port|--timeout)
            [ $# -ge 2 ] || usage_error "option $opt needs a value"
            val="$2"; shift 2 ;;
        --dir=*|--port=*|--storage-port=*|--heap=*|--jmx-port=*|--timeout=*)
            val="${opt#*=}"; opt="${opt%%=*}"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage_error "unknown option '$opt'" ;;
    esac
    case "$opt" in
        --dir) DIR="$val" ;;
        --port) CQL_PORT="$val"; PORT_GIVEN=1 ;;
        --storage-port) STORAGE_PORT="$val" ;;
        --heap) HEAP="$val" ;;
        --jmx-port) JMX_PORT="$val" ;;
        --timeout) TIMEOUT="$val" ;;
    esac
done

[ -n "$DIR" ] || usage_error "--dir is required"

is_port() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }
is_port "$CQL_PORT" || usage_error "--port must be a TCP port number, got '$CQL_PORT'"
# Default storage (inter-node) port keeps Cassandra's own 9042 -> 7000 distance, so an instance
# started with only --port does not collide with another one on a different --port.
if [ -z "$STORAGE_PORT" ]; then
    STORAGE_PORT=$((CQL_PORT - 2042))
    [ "$STORAGE_PORT" -ge 1024 ] || usage_error "cannot derive a storage port from --port $CQL_PORT; pass --storage-port"
fi
is_port "$STORAGE_PORT" || usage_error "--storage-port must be a TCP port number, got '$STORAGE_PORT'"
[ "$STORAGE_PORT" != "$CQL_PORT" ] || usage_error "--port and --storage-port must differ"
[ -z "$JMX_PORT" ] || is_port "$JMX_PORT" || usage_error "--jmx-port must be a TCP port number, got '$JMX_PORT'"
[[ "$HEAP" =~ ^[0-9]+[kKmMgG]$ ]] || usage_error "--heap must look like 512M or 1G, got '$HEAP'"
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] && [ "$TIMEOUT" -gt 0 ] || usage_error "--timeout must be a positive number of seconds"

# Absolute paths: they end up in cassandra.yaml and in the JVM command line, which is also how
# we recognise our own process later.
if [ "$CMD" = start ]; then
    mkdir -p "$DIR" || die "cannot create directory $DIR"
fi
if [ -d "$DIR" ]; then
    DIR="$(cd "$DIR" && pwd -P)"
fi
PID_FILE="$DIR/cassandra.pid"
CONF_DIR="$DIR/conf"
LOG_DIR="$DIR/logs"

# ---------------------------------------------------------------------------------------------
# Process helpers

# Prints the pid of the Cassandra owning DIR, or nothing.  A pid file alone is not trusted: the
# pid may have been reused, so the process must also be a CassandraDaemon started for this DIR.
running_pid() {
    [ -f "$PID_FILE" ] || return 0
    local pid
    pid="$(tr -dc '0-9' 2>/dev/null < "$PID_FILE" || true)"
    [ -n "$pid" ] || return 0
    [ -r "/proc/$pid/cmdline" ] || return 0
    local cmdline
    cmdline="$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null || true)"
    if grep -qxF "$MAIN_CLASS" <<<"$cmdline" && grep -qxF -- "-Dcassandra.storagedir=$DIR" <<<"$cmdline"; then
        echo "$pid"
    fi
}

# "In /proc" is not "alive": an exited JVM stays there as a zombie until reaped (init may take
# its time with orphans), and while the JVM shuts down its main thread already shows as a
# zombie with other threads still running.  So: alive while any of its threads is not a zombie.
alive() {
    [ -e "/proc/$1" ] || return 1
    grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null || return 0
    local tasks=("/proc/$1/task/"*)
    [ "${#tasks[@]}" -gt 1 ]
}

# Waits up to $2 tenths of a second for pid $1 to go away; fails if it is still alive.
wait_gone() {
    local pid="$1" ticks="$2" waited=0
    while alive "$pid" && [ "$waited" -lt "$ticks" ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    ! alive "$pid"
}

port_open() {
    # A bare TCP connect is enough: Cassandra binds the native port as its very last start-up step.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The CQL port of an existing instance, read back from the config it was started with.
configured_port() {
    sed -n 's/^native_transport_port:[[:space:]]*\([0-9]*\).*/\1/p' "$CONF_DIR/cassandra.yaml" 2>/dev/null | head -n1
}

show_log_tail() {
    local f
    for f in "$LOG_DIR/system.log" "$LOG_DIR/stdout.log"; do
        if [ -s "$f" ]; then
            echo "----- last lines of $f -----" >&2
            tail -n 40 "$f" >&2
        fi
    done
}

# ---------------------------------------------------------------------------------------------
# Java and classpath

find_java() {
    local home
    for home in "${DEV_CASSANDRA_JAVA_HOME:-}" /usr/lib/jvm/java-17-openjdk-amd64 "${JAVA_HOME:-}"; do
        if [ -n "$home" ] && [ -x "$home/bin/java" ]; then
            JAVA="$home/bin/java"
            break
        fi
    done
    [ -n "${JAVA:-}" ] || die "no Java 17 found; set DEV_CASSANDRA_JAVA_HOME"
    # Cassandra 5.0 supports 11 and 17 only, and the module flags below are written for 17.
    local version
    version="$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
    [ "$version" = 17 ] || die "$JAVA is Java '$version'; Cassandra 5.0 here needs Java 17 (set DEV_CASSANDRA_JAVA_HOME)"
}

# The cache is shared by all instances (resolving through Maven takes seconds) and rebuilt when it
# is missing, older than the pom, or points at a jar that has since vanished from ~/.m2.
classpath_is_fresh() {
    [ -s "$CLASSPATH_CACHE" ] && [ "$CLASSPATH_CACHE" -nt "$HERE/pom.xml" ] || return 1
    local jar
    while IFS= read -r jar; do
        [ -z "$jar" ] || [ -f "$jar" ] || return 1
    done < <(tr ':' '\n' < "$CLASSPATH_CACHE")
}

resolve_classpath() {
    if ! classpath_is_fresh; then
        log "resolving the Cassandra classpath with Maven (once; cached in $CLASSPATH_CACHE)"
        mkdir -p "$(dirname "$CLASSPATH_CACHE")"
        # Write to a private file and rename, so concurrent starts never read a half-written cache.
        local tmp="$CLASSPATH_CACHE.$$" out
        # Maven's output is kept for failures only: even with -q it prints stray ANSI resets.
        if ! out="$(${MVN:-mvn} -q -B -f "$HERE/pom.xml" dependency:build-classpath \
                -Dmdep.outputFile="$tmp" </dev/null 2>&1)"; then
            rm -f "$tmp"
            [ -z "$out" ] || echo "$out" >&2
            die "Maven could not resolve cassandra-all (see the output above)"
        fi
        [ -s "$tmp" ] || { rm -f "$tmp"; die "Maven produced an empty classpath"; }
        mv -f "$tmp" "$CLASSPATH_CACHE"
    fi
    CLASSPATH="$(cat "$CLASSPATH_CACHE")"
    JAMM_JAR="$(tr ':' '\n' <<<"$CLASSPATH" | grep -m1 '/jamm-[^/]*\.jar$' || true)"
    [ -n "$JAMM_JAR" ] || die "jamm is missing from the classpath in $CLASSPATH_CACHE"
}

# ---------------------------------------------------------------------------------------------
# Configuration files (rewritten on every start so the ports given this time win; data stays)

write_config() {
    mkdir -p "$CONF_DIR" "$LOG_DIR" "$DIR/data" "$DIR/commitlog" "$DIR/saved_caches" \
             "$DIR/hints" "$DIR/cdc_raw" "$DIR/triggers"

    cat > "$CONF_DIR/cassandra.yaml" <<EOF
# Written by dev-cassandra.sh on each start; edits here are lost.
cluster_name: vacuum-dev
# One token, fixed: a lone node needs no token spreading, and a fixed token keeps runs repeatable.
num_tokens: 1
initial_token: 0
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch

listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: $STORAGE_PORT
native_transport_port: $CQL_PORT
start_native_transport: true
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      # Naming ourselves as the seed makes the node skip bootstrap and start on its own.
      - seeds: "127.0.0.1:$STORAGE_PORT"

data_file_directories:
  - $DIR/data
commitlog_directory: $DIR/commitlog
saved_caches_directory: $DIR/saved_caches
hints_directory: $DIR/hints
cdc_raw_directory: $DIR/cdc_raw
commitlog_sync: periodic
commitlog_sync_period: 10000ms

authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer

# Tests drop and truncate keyspaces all the time; snapshots would only cost time and disk.
auto_snapshot: false
snapshot_before_compaction: false
EOF

    cat > "$CONF_DIR/logback.xml" <<EOF
<configuration scan="false">
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>$LOG_DIR/system.log</file>
    <append>true</append>
    <encoder>
      <pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern>
    </encoder>
  </appender>
  <root level="INFO">
    <appender-ref ref="FILE"/>
  </root>
</configuration>
EOF
}

# ---------------------------------------------------------------------------------------------
# Commands

cmd_status() {
    [ -d "$DIR" ] || { echo "cassandra not running ($DIR does not exist)"; exit 3; }
    local pid port
    pid="$(running_pid)"
    if [ -z "$pid" ]; then
        if [ -f "$PID_FILE" ]; then
            echo "cassandra not running in $DIR (stale pid file)"
        else
            echo "cassandra not running in $DIR"
        fi
        exit 3
    fi
    port="$(configured_port)"
    if [ -n "$port" ] && port_open "$port"; then
        echo "cassandra up on 127.0.0.1:$port (pid $pid)"
    else
        echo "cassandra starting (pid $pid), CQL port ${port:-?} not open yet"
    fi
}

cmd_stop() {
    [ -d "$DIR" ] || { echo "cassandra not running ($DIR does not exist)"; return 0; }
    local pid
    pid="$(running_pid)"
    if [ -z "$pid" ]; then
        rm -f "$PID_FILE"
        echo "cassandra not running in $DIR"
        return 0
    fi
    # SIGTERM runs Cassandra's shutdown hook, which drains: memtables are flushed, so the next
    # start on this directory does not need to replay the commit log.
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" 600; then
        log "pid $pid still alive after 60 s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 100 || die "pid $pid survived SIGKILL"
    fi
    rm -f "$PID_FILE"
    echo "cassandra stopped (pid $pid)"
}

cmd_start() {
    local pid
    pid="$(running_pid)"
    if [ -n "$pid" ]; then
        local port
        port="$(configured_port)"
        # Already running: fine if it serves the port asked for (or none was asked for), an error
        # if the caller expects another port, since the existing instance would not answer there.
        [ -n "$PORT_GIVEN" ] || CQL_PORT="${port:-$CQL_PORT}"
        [ "$port" = "$CQL_PORT" ] || die "cassandra already running in $DIR (pid $pid) on port ${port:-?}, not $CQL_PORT; stop it first"
        wait_ready "$pid" "already running; "
        return 0
    fi
    rm -f "$PID_FILE"

    # Fail early and clearly instead of letting Cassandra die on a bind error half a minute later.
    local p
    for p in "$CQL_PORT" "$STORAGE_PORT" ${JMX_PORT:+"$JMX_PORT"}; do
        ! port_open "$p" || die "port $p on 127.0.0.1 is already in use by another process"
    done

    find_java
    resolve_classpath
    write_config

    local jvm_opts=(
        -Xms"$HEAP" -Xmx"$HEAP"
        # Cassandra's own default stack size; it runs hundreds of threads.
        -Xss256k
        -XX:+UseG1GC
        -XX:+ParallelRefProcEnabled
        # Start-up is CPU-bound class loading and JIT work; on a 2-core machine the C1-only JIT
        # and skipping verification of the (checksummed, Maven Central) jars take it from ~9 s
        # to ~5.5 s.  Test loads are light, so C2's peak speed is not missed; append
        # -XX:TieredStopAtLevel=4 via DEV_CASSANDRA_JVM_OPTS to get it back.
        -XX:TieredStopAtLevel=1
        -XX:+UnlockDiagnosticVMOptions
        -XX:-BytecodeVerificationRemote
        # Die at once on OOM instead of limping on (Cassandra warns about this at start-up).
        -XX:+ExitOnOutOfMemoryError
        -Djava.net.preferIPv4Stack=true
        # jamm measures object sizes for memtable accounting; with the agent it uses
        # Instrumentation rather than guessing.
        -javaagent:"$JAMM_JAR"

        # JPMS: the exports/opens Cassandra 5.0 ships in conf/jvm17-server.options.  Without
        # them start-up fails with InaccessibleObjectException (Unsafe, direct buffers, JMX, ...).
        -Djdk.attach.allowAttachSelf=true
        --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
        --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
        --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
        --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
        --add-exports java.sql/java.sql=ALL-UNNAMED
        --add-exports java.base/java.lang.ref=ALL-UNNAMED
        --add-exports jdk.unsupported/sun.misc=ALL-UNNAMED
        --add-exports jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
        --add-exports jdk.attach/sun.tools.attach=ALL-UNNAMED
        --add-opens java.base/java.lang.module=ALL-UNNAMED
        --add-opens java.base/jdk.internal.loader=ALL-UNNAMED
        --add-opens java.base/jdk.internal.ref=ALL-UNNAMED
        --add-opens java.base/jdk.internal.reflect=ALL-UNNAMED
        --add-opens java.base/jdk.internal.math=ALL-UNNAMED
        --add-opens java.base/jdk.internal.module=ALL-UNNAMED
        --add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED
        --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
        --add-opens java.base/sun.nio.ch=ALL-UNNAMED
        --add-opens java.base/java.io=ALL-UNNAMED
        --add-opens java.base/java.lang.reflect=ALL-UNNAMED
        --add-opens jdk.compiler/com.sun.tools.javac=ALL-UNNAMED
        --add-opens java.base/java.lang=ALL-UNNAMED
        --add-opens java.base/java.util=ALL-UNNAMED
        # Netty may only use Unsafe-backed direct buffers on 9+ when told so; the allocator
        # settings restore the pre-4.1.75 defaults Cassandra is tuned for.
        -Dio.netty.tryReflectionSetAccessible=true
        -Dio.netty.allocator.useCacheForAllThreads=true
        -Dio.netty.allocator.maxOrder=11

        -Dcassandra.config="file://$CONF_DIR/cassandra.yaml"
        -Dlogback.configurationFile="$CONF_DIR/logback.xml"
        -Dcassandra.storagedir="$DIR"
        -Dcassandra.logdir="$LOG_DIR"
        # Otherwise looked up next to a conf/ on the classpath, which a Maven classpath lacks.
        -Dcassandra.triggers_dir="$DIR/triggers"
        # Keep stdout/stderr open (the daemon mode closes them), so a JVM that dies before
        # logback is up still leaves its reason in logs/stdout.log.
        -Dcassandra-foreground=yes
        # A lone seed has nobody to gossip with; waiting for gossip to settle only costs seconds.
        -Dcassandra.skip_wait_for_gossip_to_settle=0
        # Same on the way down: no peer to announce the shutdown to (2 s) and no inter-node
        # connection to let quiesce (another 2 s).  Memtables are still flushed on drain.
        -Dcassandra.shutdown_announce_in_ms=0
        -Dcassandra.test.messagingService.nonGracefulShutdown=true
    )
    # No JMX server unless asked: two instances would otherwise fight over 7199, and nothing in
    # the tests needs nodetool.  The "local" variant listens on 127.0.0.1 only.
    if [ -n "$JMX_PORT" ]; then
        jvm_opts+=(-Dcassandra.jmx.local.port="$JMX_PORT")
    fi
    if [ -n "${DEV_CASSANDRA_JVM_OPTS:-}" ]; then
        # shellcheck disable=SC2206  # word splitting is the point of this variable
        jvm_opts+=(${DEV_CASSANDRA_JVM_OPTS})
    fi

    # Cassandra's bin/cassandra refuses root without -R; that check lives only in the shell
    # script, the JVM itself does not care, so running as root (as in CI) needs no flag.
    #
    # But as root, Cassandra's mlockall() succeeds (CAP_IPC_LOCK) and pins the whole heap and
    # every mapping in RAM: ~900 MB resident for a 512M heap.  Removing that one capability from
    # the bounding set makes mlockall fail, which Cassandra logs and ignores, as it does for any
    # unprivileged user.
    local wrapper=()
    if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
        wrapper=(setpriv --bounding-set -ipc_lock)
    fi

    local started_at
    started_at=$(date +%s.%N)
    echo "=== start $(date -Is) port=$CQL_PORT storage_port=$STORAGE_PORT heap=$HEAP" >> "$LOG_DIR/stdout.log"
    # setsid: own session, so the caller's terminal, Ctrl-C or process group do not reach it;
    # the inner shell records its own pid and then becomes setpriv and java through exec, so
    # the pid file names the JVM itself.  nohup is belt and braces against SIGHUP.
    nohup setsid bash -c 'echo $$ > "$1"; shift; exec "$@"' bash "$PID_FILE" \
        ${wrapper[@]+"${wrapper[@]}"} "$JAVA" "${jvm_opts[@]}" -cp "$CLASSPATH" "$MAIN_CLASS" \
        </dev/null >>"$LOG_DIR/stdout.log" 2>&1 &

    # The pid file appears as soon as the inner shell runs.
    local waited=0
    pid=""
    while [ -z "$pid" ] && [ "$waited" -lt 100 ]; do
        pid="$(tr -dc '0-9' 2>/dev/null < "$PID_FILE" || true)"
        [ -n "$pid" ] || { sleep 0.1; waited=$((waited + 1)); }
    done
    [ -n "$pid" ] || { show_log_tail; die "launcher did not write $PID_FILE"; }

    wait_ready "$pid" "" "$started_at"
}

# Blocks until the CQL port accepts connections, the JVM dies, or the timeout passes.
wait_ready() {
    local pid="$1" prefix="$2" started_at="${3:-}"
    local deadline=$((SECONDS + TIMEOUT))
    until port_open "$CQL_PORT"; do
        if ! alive "$pid"; then
            rm -f "$PID_FILE"
            show_log_tail
            die "cassandra (pid $pid) exited during start-up; logs are in $LOG_DIR"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            show_log_tail
            log "cassandra not ready after ${TIMEOUT}s; killing pid $pid"
            kill -KILL "$pid" 2>/dev/null || true
            # So that a retry finds the ports free.
            wait_gone "$pid" 100 || log "pid $pid survived SIGKILL"
            rm -f "$PID_FILE"
            exit 1
        fi
        sleep 0.2
    done
    local took=""
    if [ -n "$started_at" ]; then
        took="$(awk -v a="$started_at" -v b="$(date +%s.%N)" 'BEGIN { printf " in %.1fs", b - a }')"
    fi
    echo "${prefix}cassandra up on 127.0.0.1:$CQL_PORT (pid $pid)$took"
}

case "$CMD" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
esac
