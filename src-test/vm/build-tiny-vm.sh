#!/usr/bin/env bash
# build-tiny-vm.sh OUT_DIR MJF_BASE_URL
#
# Builds OUT_DIR/tiny-vm.img, a raw disk image for the real-VM tests: a FAT "superfloppy" (no
# partition table) made bootable for SeaBIOS with SYSLINUX, holding a Debian kernel and a
# busybox initramfs. The guest's /init logs each step to the serial console (ttyS0), loads the
# virtio modules, gets an address by DHCP on eth0, GETs MJF_BASE_URL/jobfeatures/wall_limit_secs
# and prints it, PUTs "200 Success" to MJF_BASE_URL/joboutputs/shutdown_message, and powers
# off (on any failure it logs "tiny-vm: FAILED: ..." and powers off too).
# MJF_BASE_URL is http://HOST[:PORT][/PATH] as the guest sees it (QEMU user networking: the host
# is 10.0.2.2), e.g. http://10.0.2.2:8080. It is baked into the initramfs (/etc/mjf_base_url).
#
# Needs (src-test/vm/host-setup.sh installs them): apt-get with current package lists, dpkg-deb,
# cpio, gzip, flock, mkfs.vfat (dosfstools), syslinux (+ syslinux-common) and mtools. No root.
# The kernel and busybox come from Debian's mirrors with `apt-get download`: the image package
# that the kernel metapackage $VACUUM_VM_KERNEL depends on (default linux-image-cloud-amd64, the
# flavour for VMs: its LZ4-compressed kernel boots in half the time of linux-image-amd64's
# XZ-compressed one under TCG), and busybox-static. What is extracted from them is cached under
# $VACUUM_VM_CACHE (default ~/.cache/vacuum-vm), so only the first build downloads (27 MB).
set -eEuo pipefail

die() { echo "build-tiny-vm: $*" >&2; exit 1; }
log() { echo "build-tiny-vm: $*" >&2; }
trap 'echo "build-tiny-vm: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

[ $# -eq 2 ] || die "usage: build-tiny-vm.sh OUT_DIR MJF_BASE_URL"
out_dir=$1
base_url=${2%/}
started=$(date +%s.%N)

# The URL is split here so that the guest only has to read shell variables.
[[ $base_url =~ ^http://([A-Za-z0-9.-]+)(:([0-9]+))?(/[A-Za-z0-9._~%/-]*)?$ ]] \
  || die "MJF_BASE_URL must be http://HOST[:PORT][/PATH], not '$2'"
mjf_host=${BASH_REMATCH[1]}
mjf_port=${BASH_REMATCH[3]:-80}
mjf_path=${BASH_REMATCH[4]}

export PATH="$PATH:/usr/sbin:/sbin"
for tool in apt-get apt-cache dpkg-deb cpio gzip flock mkfs.vfat syslinux mcopy; do
  command -v "$tool" >/dev/null || die "missing tool '$tool' (run src-test/vm/host-setup.sh as root)"
done

cache=${VACUUM_VM_CACHE:-${HOME:-/tmp}/.cache/vacuum-vm}
mkdir -p "$cache" "$out_dir"
exec 9>"$cache/.lock"
flock 9   # one filler of the cache at a time
rm -rf "$cache"/extract.* "$cache"/empty.*   # left by builds that were killed

kernel_meta=${VACUUM_VM_KERNEL:-linux-image-cloud-amd64}
[[ $kernel_meta =~ ^linux-image-[a-z0-9.-]+$ ]] || die "VACUUM_VM_KERNEL must name a linux-image-* package, not '$kernel_meta'"

# Kernel modules the guest loads (each after its dependencies): virtio over PCI, the disk and the
# NIC. In Debian's kernel all of them and their dependencies are modules; built-in ones
# (modules.builtin) would be skipped.
wanted_modules=(virtio_pci virtio_blk virtio_net)

# kernel_ok DIR: DIR holds an extracted kernel with the wanted modules.
kernel_ok() { [ -s "$1/vmlinuz" ] && [ "$(cat "$1/wanted" 2>/dev/null)" = "${wanted_modules[*]}" ]; }

# extract_kernel DEB DIR: DIR/vmlinuz, DIR/modules/NAME.ko for the wanted modules and their
# dependencies, and DIR/modules.order (load order).
extract_kernel() {
  local deb=$1 dir=$2 tmp moddir f n m
  log "extracting the kernel and modules from $(basename "$deb")"
  tmp=$(mktemp -d "$cache/extract.XXXXXX")
  dpkg-deb -x "$deb" "$tmp/root"
  mkdir -p "$tmp/out/modules"
  cp "$tmp"/root/boot/vmlinuz-* "$tmp/out/vmlinuz"
  moddir=$(ls -1d "$tmp"/root/lib/modules/*/)
  # module name -> file (names use '_' where file names may use '-')
  declare -A ko_of=() builtin=() placed=()
  while IFS= read -r f; do
    n=${f##*/}; n=${n%%.ko*}; ko_of[${n//-/_}]=$f
  done < <(find "$moddir" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst')
  while IFS= read -r f; do
    n=${f##*/}; n=${n%%.ko*}; builtin[${n//-/_}]=1
  done < <(cat "$moddir/modules.builtin" 2>/dev/null || true)
  local order=()
  # place NAME: its dependencies first (depth first), then itself
  place() {
    local n=${1//-/_} f raw deps d
    [ -z "${placed[$n]:-}" ] || return 0
    placed[$n]=1
    [ -z "${builtin[$n]:-}" ] || return 0
    f=${ko_of[$n]:-}
    [ -n "$f" ] || die "kernel module $n is neither a module nor built in"
    raw="$tmp/out/modules/$n.ko"
    case $f in
      *.ko.xz) xz -dc "$f" > "$raw" ;;
      *.ko.zst) zstd -qdc "$f" > "$raw" ;;
      *) cp "$f" "$raw" ;;
    esac
    deps=$(tr '\0' '\n' < "$raw" | awk '/^depends=/ && !seen { print substr($0, 9); seen = 1 }')
    for d in ${deps//,/ }; do place "$d"; done
    order+=("$n")
  }
  for m in "${wanted_modules[@]}"; do place "$m"; done
  printf '%s\n' "${order[@]}" > "$tmp/out/modules.order"
  echo "${wanted_modules[*]}" > "$tmp/out/wanted"
  mkdir -p "$(dirname "$dir")"
  rm -rf "$dir"
  mv "$tmp/out" "$dir"
  rm -rf "$tmp"
}

# extract_busybox DEB DIR: DIR/busybox
extract_busybox() {
  local deb=$1 dir=$2 tmp
  tmp=$(mktemp -d "$cache/extract.XXXXXX")
  dpkg-deb -x "$deb" "$tmp/root"
  mkdir -p "$tmp/out"
  cp "$tmp/root/bin/busybox" "$tmp/out/busybox"
  mkdir -p "$(dirname "$dir")"
  rm -rf "$dir"
  mv "$tmp/out" "$dir"
  rm -rf "$tmp"
}

# resolve_with_apt: sets kernel_dir and busybox_dir to the extracted candidates of
# $kernel_meta's image package and of busybox-static, downloading and extracting what the
# cache lacks. Leaves them empty if apt cannot resolve or download.
resolve_with_apt() {
  local spec empty uris kdeb bdeb missing=()
  spec=$(apt-cache show --no-all-versions "$kernel_meta" 2>/dev/null \
    | sed -n 's/^Depends: *\(linux-image-[^ ,]*\) *(= *\([^)]*\)).*/\1=\2/p') || return 0
  [ -n "$spec" ] || return 0
  # (in an empty directory: apt-get download leaves out what the current directory holds)
  empty=$(mktemp -d "$cache/empty.XXXXXX")
  uris=$(cd "$empty" && apt-get download --print-uris "$spec" busybox-static 2>/dev/null) || uris=
  rmdir "$empty"
  kdeb=$(awk '$2 ~ /^linux-image-/ { print $2 }' <<<"$uris")
  bdeb=$(awk '$2 ~ /^busybox-static_/ { print $2 }' <<<"$uris")
  [ -n "$kdeb" ] && [ -n "$bdeb" ] || return 0
  kernel_ok "$cache/kernel/${kdeb%.deb}" || missing+=("$spec")
  [ -x "$cache/busybox/${bdeb%.deb}/busybox" ] || missing+=(busybox-static)
  if [ ${#missing[@]} -gt 0 ]; then
    log "downloading ${missing[*]}"
    mkdir -p "$cache/debs"
    (cd "$cache/debs" && apt-get download -q "${missing[@]}" 2>&1 | grep -v unsandboxed >&2) || true
    kernel_ok "$cache/kernel/${kdeb%.deb}" || [ -s "$cache/debs/$kdeb" ] || return 0
    [ -x "$cache/busybox/${bdeb%.deb}/busybox" ] || [ -s "$cache/debs/$bdeb" ] || return 0
  fi
  if ! kernel_ok "$cache/kernel/${kdeb%.deb}"; then
    extract_kernel "$cache/debs/$kdeb" "$cache/kernel/${kdeb%.deb}"
    rm -f "$cache/debs/$kdeb"
  fi
  if [ ! -x "$cache/busybox/${bdeb%.deb}/busybox" ]; then
    extract_busybox "$cache/debs/$bdeb" "$cache/busybox/${bdeb%.deb}"
    rm -f "$cache/debs/$bdeb"
  fi
  kernel_dir="$cache/kernel/${kdeb%.deb}"
  busybox_dir="$cache/busybox/${bdeb%.deb}"
}

# What apt resolved is remembered for 12 hours, so that cached builds do not ask apt at all.
kernel_dir= busybox_dir=
resolved="$cache/resolved-$kernel_meta"
if [ -s "$resolved" ] && [ -n "$(find "$resolved" -mmin -720)" ]; then
  read -r k b < "$resolved"
  if kernel_ok "$cache/kernel/$k" && [ -x "$cache/busybox/$b/busybox" ]; then
    kernel_dir="$cache/kernel/$k" busybox_dir="$cache/busybox/$b"
  fi
fi
if [ -z "$kernel_dir" ]; then
  resolve_with_apt
  if [ -n "$kernel_dir" ]; then
    echo "$(basename "$kernel_dir") $(basename "$busybox_dir")" > "$resolved"
  else
    # apt cannot help (no package lists, no network): fall back to the newest cached versions.
    kernel_dir=$( (ls -1d "$cache"/kernel/*/ 2>/dev/null || true) \
      | grep -E "/linux-image-[0-9.]+-[0-9]+-${kernel_meta#linux-image-}_" | sort -V | tail -1 || true)
    busybox_dir=$( (ls -1d "$cache"/busybox/*/ 2>/dev/null || true) | sort -V | tail -1)
    [ -n "$kernel_dir" ] && [ -n "$busybox_dir" ] && kernel_ok "${kernel_dir%/}" \
      || die "apt cannot resolve or download $kernel_meta and busybox-static (run 'apt-get update' as root) and nothing is cached"
    kernel_dir=${kernel_dir%/} busybox_dir=${busybox_dir%/}
    log "apt cannot resolve or download; using the cached $(basename "$kernel_dir") and $(basename "$busybox_dir")"
  fi
fi
flock -u 9

# ---- initramfs --------------------------------------------------------------------------------
work=$(mktemp -d "$out_dir/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root"/{bin,dev,etc,proc,sys,tmp,lib/modules}
cp "$busybox_dir/busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
cp "$kernel_dir"/modules/*.ko "$root/lib/modules/"
cp "$kernel_dir/modules.order" "$root/etc/modules.order"
printf '%s\n' "$base_url" > "$root/etc/mjf_base_url"
cat > "$root/etc/mjf.sh" <<EOF
MJF_BASE_URL='$base_url'
MJF_HOST='$mjf_host'
MJF_PORT='$mjf_port'
MJF_PATH='$mjf_path'
EOF

cat > "$root/etc/udhcpc.script" <<'EOF'
#!/bin/sh
# udhcpc hook: configure the interface from the lease.
case "$1" in
  deconfig) ifconfig "$interface" 0.0.0.0 up ;;
  bound|renew)
    ifconfig "$interface" "$ip" netmask "${subnet:-255.255.255.0}" up
    for r in $router; do route add default gw "$r" dev "$interface"; break; done ;;
esac
exit 0
EOF

cat > "$root/init" <<'EOF'
#!/bin/sh
# /init of the vacuum tiny test VM (built by src-test/vm/build-tiny-vm.sh).
export PATH=/bin
mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
exec </dev/null >/dev/ttyS0 2>&1
log() { echo "tiny-vm: [$(cut -d' ' -f1 /proc/uptime)] $*"; }
off() { poweroff -f; sleep 5; reboot -f; }
fail() { log "FAILED: $*"; off; }
. /etc/mjf.sh
log "init started; MJF base $MJF_BASE_URL"

for m in $(cat /etc/modules.order); do
  insmod "/lib/modules/$m.ko" || fail "insmod $m"
done
log "modules loaded: $(cat /etc/modules.order | tr '\n' ' ')"

i=0
while [ ! -e /sys/class/net/eth0 ]; do
  i=$((i + 1)); [ $i -le 100 ] || fail "no eth0 after 10 s"; sleep 0.1
done
ip link set lo up
udhcpc -i eth0 -f -q -n -t 10 -T 1 -s /etc/udhcpc.script >/dev/null 2>&1 || fail "DHCP on eth0"
log "eth0 up: $(ip -4 -o addr show eth0 | awk '{print $4}'), gateway $(ip route | awk '/^default/ {print $3}')"

url="$MJF_BASE_URL/jobfeatures/wall_limit_secs"
n=0
until wall=$(timeout 15 wget -q -O - "$url"); do   # (busybox 1.35 wget -T segfaults)
  n=$((n + 1)); [ $n -lt 5 ] || fail "GET $url"; sleep 1
done
log "wall_limit_secs=$wall"

body="200 Success"
resp=$(printf 'PUT %s/joboutputs/shutdown_message HTTP/1.0\r\nHost: %s:%s\r\nContent-Type: text/plain\r\nContent-Length: %s\r\n\r\n%s' \
  "$MJF_PATH" "$MJF_HOST" "$MJF_PORT" "${#body}" "$body" | timeout 15 nc "$MJF_HOST" "$MJF_PORT")
status=$(echo "$resp" | head -1 | tr -d '\r')
log "PUT joboutputs/shutdown_message: ${status:-no answer}"
case "$status" in
  "HTTP/1."?" 2"*) ;;
  *) fail "PUT joboutputs/shutdown_message" ;;
esac
log "powering off"
off
EOF
chmod 755 "$root/init" "$root/etc/udhcpc.script"

# newc_node NAME OCTAL_MODE MAJOR MINOR: one cpio "newc" entry without data (a device node), so
# that /dev/console exists at boot without mknod (which needs root).
newc_node() {
  local name=$1 mode=$((8#$2)) major=$3 minor=$4 size pad
  size=$(( ${#name} + 1 ))
  printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
    1 "$mode" 0 0 1 0 0 0 0 "$major" "$minor" "$size" 0
  printf '%s\0' "$name"
  pad=$(( (4 - (110 + size) % 4) % 4 ))
  head -c "$pad" /dev/zero
}
{
  (cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet)
  { newc_node dev/console 020600 5 1; newc_node TRAILER!!! 0 0 0; }
} | gzip -6 > "$work/initrd.gz"

# ---- bootable FAT image -----------------------------------------------------------------------
cmdline="console=ttyS0 quiet panic=-1 8250.nr_uarts=1 mitigations=off"
cat > "$work/syslinux.cfg" <<EOF
SERIAL 0 115200
DEFAULT tiny
PROMPT 0
TIMEOUT 0
LABEL tiny
  KERNEL /vmlinuz
  APPEND initrd=/initrd.gz $cmdline
EOF
payload_kib=$(( ($(stat -c %s "$kernel_dir/vmlinuz") + $(stat -c %s "$work/initrd.gz")) / 1024 ))
image_kib=$(( (payload_kib + 2048 + 1023) / 1024 * 1024 ))
mkfs.vfat -C -n TINYVM "$work/tiny-vm.img" "$image_kib" >/dev/null
syslinux --install "$work/tiny-vm.img"
export MTOOLS_SKIP_CHECK=1
mcopy -i "$work/tiny-vm.img" "$kernel_dir/vmlinuz" ::/vmlinuz
mcopy -i "$work/tiny-vm.img" "$work/initrd.gz" ::/initrd.gz
mcopy -i "$work/tiny-vm.img" "$work/syslinux.cfg" ::/syslinux.cfg
mv -f "$work/tiny-vm.img" "$out_dir/tiny-vm.img"

elapsed=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
log "built $out_dir/tiny-vm.img ($((image_kib / 1024)) MiB; $(basename "$kernel_dir"); modules $(tr '\n' ' ' < "$kernel_dir/modules.order")) in ${elapsed} s"
