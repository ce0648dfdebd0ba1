#!/usr/bin/env bash
# host-setup.sh: prepares this Debian host for the real-VM tests (QEMU under libvirt, TCG).
# Idempotent; .ci/run calls it, and it can be run by hand.
#
# As root it installs what is missing with apt-get (QEMU, libvirt's daemon with its QEMU driver,
# virsh, and the tools build-tiny-vm.sh uses), refreshes apt's package lists when they are older
# than a day (build-tiny-vm.sh downloads the kernel with apt-get), makes libvirt run QEMU as root
# (user/group in /etc/libvirt/qemu.conf: with the default libvirt-qemu user every domain start
# stalls for about a minute here), starts virtlogd and libvirtd, and proves the setup by starting
# and destroying an empty transient domain. Where systemd is not PID 1 the daemons are started by
# hand, libvirtd under `tini -s`: a subreaper that reaps exited QEMU processes at once (a PID 1
# that reaps orphans late makes libvirt wait ~2 s for every VM that stops). Root uses
# qemu:///system (for root, qemu:///session reaches the same system daemon).
# As another user it installs nothing: it checks the tools and prints qemu:///session (libvirt
# spawns a per-user daemon on demand).
#
# Output: progress on stderr; on stdout one line: the libvirt URI to use (exit 0), or the reason
# the real-VM tests cannot run here (exit 1).
# Needs: Debian (apt-get), and for root Debian's package mirrors.
set -euo pipefail

say() { echo "host-setup: $*" >&2; }
fail() { say "$*"; echo "$*"; exit 1; }
export PATH="$PATH:/usr/sbin:/sbin"

packages=(qemu-system-x86 qemu-utils libvirt-daemon libvirt-daemon-driver-qemu libvirt-daemon-system
  libvirt-clients busybox-static syslinux syslinux-common mtools dosfstools cpio gzip util-linux)
tools=(qemu-system-x86_64 qemu-img virsh libvirtd virtlogd apt-get dpkg-deb cpio gzip flock
  mkfs.vfat syslinux mcopy)
systemd=false
[ -d /run/systemd/system ] && systemd=true
# Without systemd, take the SysV flavour of libvirt-daemon-system: the default one pulls in
# systemd itself.
$systemd || packages+=(libvirt-daemon-system-sysv tini)

[ "$(uname -s)" = Linux ] || fail "not Linux"
[ "$(uname -m)" = x86_64 ] || fail "not x86_64 (the tiny VM is amd64)"

if [ "$(id -u)" != 0 ]; then
  for t in "${tools[@]}"; do
    command -v "$t" >/dev/null || fail "'$t' is missing: run src-test/vm/host-setup.sh as root"
  done
  echo "qemu:///session"
  exit 0
fi

# ---- packages ---------------------------------------------------------------------------------
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 "$@"; }
lists_stale=false
[ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ] \
  || lists_stale=true
if [ ${#missing[@]} -gt 0 ] || $lists_stale; then
  say "apt-get update"
  if ! apt_get update -qq >&2; then
    [ ${#missing[@]} -eq 0 ] || fail "apt-get update failed"
    say "apt-get update failed; going on with the old package lists"
  fi
fi
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  apt_get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
    || fail "apt-get install ${missing[*]} failed"
fi
for t in "${tools[@]}"; do
  command -v "$t" >/dev/null || fail "'$t' is missing after installing the packages"
done

# ---- libvirt: QEMU as root --------------------------------------------------------------------
conf=/etc/libvirt/qemu.conf
[ -f "$conf" ] || fail "$conf is missing (libvirt-daemon-system not installed?)"
changed=false
for key in user group; do
  if ! grep -qE "^\s*$key\s*=\s*\"root\"" "$conf"; then
    if grep -qE "^\s*$key\s*=" "$conf"; then
      sed -i -E "s/^\s*$key\s*=.*/$key = \"root\"/" "$conf"
    else
      printf '%s = "root"   # set by vacuum src-test/vm/host-setup.sh\n' "$key" >> "$conf"
    fi
    changed=true
  fi
done
$changed && say "set user/group = \"root\" in $conf"
mkdir -p /var/log/libvirt/qemu

# ---- daemons ----------------------------------------------------------------------------------
# running NAME: the pid of the running daemon NAME (from its pid file), or nothing.
running() {
  local pid
  pid=$(cat "/run/$1.pid" 2>/dev/null) || return 0
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] \
    && echo "$pid"
  return 0
}
uri=qemu:///system
if $systemd; then
  systemctl start virtlogd.socket virtlogd >&2 || fail "systemctl start virtlogd failed"
  if $changed; then systemctl restart libvirtd >&2 || fail "systemctl restart libvirtd failed"
  else systemctl start libvirtd >&2 || fail "systemctl start libvirtd failed"; fi
else
  [ -n "$(running virtlogd)" ] || { say "starting virtlogd"; virtlogd -d || fail "virtlogd -d failed"; }
  pid=$(running libvirtd)
  why=
  if [ -n "$pid" ]; then
    $changed && why="for the new $conf"
    ppid=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
    [ "$(cat "/proc/${ppid:-0}/comm" 2>/dev/null)" = tini ] || why="to run it under tini"
  fi
  if [ -n "$why" ]; then
    # Running domains survive: libvirtd finds them again when it starts.
    say "restarting libvirtd (pid $pid) $why"
    kill "$pid"
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && fail "libvirtd (pid $pid) did not stop within 30 s"
    pid=
  fi
  if [ -z "$pid" ]; then
    say "starting libvirtd"
    setsid tini -s -- libvirtd </dev/null >>/var/log/libvirt/libvirtd.out 2>&1 &
  fi
fi
for _ in $(seq 300); do virsh -q -c "$uri" uri >/dev/null 2>&1 && break; sleep 0.1; done
virsh -q -c "$uri" uri >/dev/null 2>&1 \
  || fail "libvirtd does not answer at $uri within 30 s (see /var/log/libvirt/libvirtd.log and libvirtd.out)"

# ---- proof: an empty transient domain starts and is destroyed ---------------------------------
name="vacuum-host-setup-probe-$$"
xml=$(mktemp)
trap 'rm -f "$xml"' EXIT
cat > "$xml" <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <on_poweroff>destroy</on_poweroff><on_reboot>destroy</on_reboot><on_crash>destroy</on_crash>
  <devices/>
</domain>
EOF
if ! out=$(timeout 120 virsh -q -c "$uri" create "$xml" 2>&1); then
  fail "libvirt cannot start a QEMU domain: $(echo "$out" | tr '\n' ' ' | sed 's/ *$//')"
fi
timeout 60 virsh -q -c "$uri" destroy "$name" >/dev/null 2>&1 || true
say "libvirt at $uri starts QEMU (TCG) domains"
echo "$uri"
