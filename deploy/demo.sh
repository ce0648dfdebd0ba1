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

# The factory's vac.conf, as a site admin writes it, kept in the demo's state directory: one vm-raw
# machinetype whose machines live 2 minutes on libvirt's fake hypervisor (test:///default), so the
# factory keeps creating them. Edit it while the demo runs: vacuum re-reads it.
mkdir -p "$state/etc/vac.d" "$state/run" "$state/images"
[ -f "$state/images/demo.img" ] || truncate -s 64M "$state/images/demo.img"
if [ ! -f "$state/etc/vac.conf" ]; then
  cat > "$state/etc/vac.conf" <<EOC
[settings]
vac_space = $VACUUM_SPACE
mb_per_processor = 512

[machinetype demo]
target_share = 1
machine_model = vm-raw
root_image = $state/images/demo.img
max_wallclock_seconds = 120
EOC
fi
export VACUUM_VAC_CONF="$state/etc/vac.conf" VACUUM_VAC_CONF_DIR="$state/etc/vac.d" VACUUM_VAC_RUN_CONF="$state/run/vac.conf"

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

  Things to try, in another shell:

    1. The machines of the space, in Vac's columns (add --json for the raw machine_status replies):
         $dist/bin/vacuum machines
    2. The census of factories:
         $dist/bin/vacuum factories
    3. Drain this factory (DELETE the same URL clears it): running machines finish, no new ones start:
         curl -s -X POST $url/api/v1/factories/$VACUUM_FACTORY_NAME/drain -d '{"reason":"trying vacuum"}'
    4. Edit $state/etc/vac.conf (say, max_wallclock_seconds = 30); a bad edit shows as the
       factory error in 'vacuum factories' and the last good configuration stays in force.
    5. The members of the space, from Pekko Management:
         curl -s $url/cluster/members

  Ctrl-C here stops the node (graceful leave); its state stays in $state.
EOT
wait $node
