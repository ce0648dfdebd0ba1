#!/usr/bin/env bash
# README command (a): on a fresh Debian machine with Java 17 and Maven, as root, install what is
# missing, build the distribution, and run a one-node demo space on the embedded defaults
# (H2 journal under /var/lib/vacuum-demo). Ctrl-C stops the node gracefully.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

# Debian packages vacuum needs at run time (libvirt0: the hypervisor library the factories use).
packages=(libvirt0 curl)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "demo: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "demo: building (mvn package, tests skipped; 'mvn -B verify' runs them)"
mvn -B -q package -DskipTests
version=$(sed -n 's|^ *<version>\(.*\)</version>.*|\1|p' pom.xml | head -1)
dist="deploy/target/vacuum-$version"

# A factory is named by its FQDN; a host without one gets a demo name.
name=$(hostname -f 2>/dev/null | tr 'A-Z' 'a-z' || true)
case "$name" in *.*) ;; *) name="$(hostname -s | tr 'A-Z' 'a-z').demo.localdomain" ;; esac
export VACUUM_FACTORY_NAME="${VACUUM_FACTORY_NAME:-$name}"
export VACUUM_SPACE="${VACUUM_SPACE:-demo.vacuum.localdomain}"
state="${VACUUM_STATE_DIR:-/var/lib/vacuum-demo}"
url="http://127.0.0.1:${VACUUM_ADMIN_PORT:-7626}"

"$dist/bin/vacuum" node start --state-dir "$state" &
node=$!
trap 'kill -TERM $node 2>/dev/null; wait $node' INT TERM

for _ in $(seq 1 240); do
  if "$dist/bin/vacuum" node status --url "$url" >/dev/null 2>&1; then break; fi
  kill -0 $node 2>/dev/null || { echo "demo: the node did not start (see above)"; exit 1; }
  sleep 0.5
done
"$dist/bin/vacuum" node status --url "$url" >/dev/null || { echo "demo: node not ready after 120 s"; kill -TERM $node; exit 1; }

cat <<EOT

  vacuum demo space "$VACUUM_SPACE" is up: factory $VACUUM_FACTORY_NAME, admin $url

  Three things to try, in another shell:

    1. The census, in Vac's columns (add --json for the raw factory_status replies):
         $dist/bin/vacuum factories
    2. Drain this factory (DELETE the same URL clears it), then look at the census again:
         curl -s -X POST $url/api/v1/factories/$VACUUM_FACTORY_NAME/drain -d '{"reason":"trying vacuum"}'
    3. The members of the space, from Pekko Management:
         curl -s $url/cluster/members

  Ctrl-C here stops the node (graceful leave); its state stays in $state.
EOT
wait $node
