#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the Debian packages from build/ (scripts/package.sh) and checks them as an operator's
# box would meet them, without installing anything on this machine:
#   - lintian: no errors and no warnings;
#   - the contents: what belongs to meterd and what to meterd-sim, every file under /etc/meterd
#     a conffile, binaries stripped (symbols in the -dbgsym packages), man pages, copyright,
#     changelog, Depends computed plus adduser;
#   - the maintainer scripts, run against a scratch root with the system commands they call
#     replaced by recorders: first install with a good and with a bad configuration, upgrade,
#     remove, purge.
# Usage: tests/packaging/check_package.sh [folder with the packages]  (else builds them)
set -euo pipefail
cd "$(dirname "$0")/../.."
here=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "check-package: FAIL: $*" >&2; exit 1; }
pass() { echo "check-package: ok: $*"; }

packages=${1:-}
if [ -z "$packages" ]; then
  packages=$work/packages
  scripts/package.sh "$packages" >/dev/null
fi
deb=$(ls "$packages"/meterd_*.deb)
sim=$(ls "$packages"/meterd-sim_*.deb)
ls "$packages"/meterd-dbgsym_*.ddeb >/dev/null 2>&1 || fail "no meterd-dbgsym package"

# --- lintian ----------------------------------------------------------------------------------
if command -v lintian >/dev/null; then
  lintian --fail-on error,warning "$deb" "$sim" > "$work/lintian.txt" 2>&1 ||
    { cat "$work/lintian.txt"; fail "lintian reports errors or warnings"; }
  if grep -E '^(E|W):' "$work/lintian.txt"; then fail "lintian reports errors or warnings"; fi
  pass "lintian: 0 errors, 0 warnings"

else
  echo "check-package: lintian not installed: skipped"
fi

# --- contents ---------------------------------------------------------------------------------
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' > "$work/meterd.files"
dpkg-deb -c "$sim" | awk '{print $6}' | sed 's|^\./|/|' > "$work/sim.files"
has() { grep -qE "$2" "$work/$1.files" || fail "$1 lacks $2"; }
lacks() { ! grep -qE "$2" "$work/$1.files" || fail "$1 holds $2"; }
has meterd '^/usr/sbin/meterd$'
has meterd '^/usr/bin/meterctl$'
has meterd '/meterd/plugins/meterd-modbus\.so$'
has meterd '/meterd/plugins/meterd-dlt645\.so$'
has meterd '/meterd/plugins/meterd-profibus\.so$'
has meterd '/meterd/plugins/meterd-lonworks\.so$'
has meterd '^/lib/systemd/system/meterd\.service$'
has meterd '^/etc/meterd/meterd\.yaml$'
has meterd '^/usr/share/man/man8/meterd\.8\.gz$'
has meterd '^/usr/share/man/man8/meterctl\.8\.gz$'
has meterd '^/usr/share/man/man5/meterd\.yaml\.5\.gz$'
has meterd '^/usr/share/doc/meterd/copyright$'
has meterd '^/usr/share/doc/meterd/changelog\.gz$'
has meterd '^/usr/share/doc/meterd/operations\.md$'
lacks meterd 'meterd-sim\.so|demo\.yaml|-sim$'
has sim '/meterd/plugins/meterd-sim\.so$'
has sim '^/usr/share/doc/meterd-sim/examples/demo\.yaml$'
has sim '^/usr/libexec/meterd/modbus-sim$'
has sim '^/usr/libexec/meterd/profibus-sim$'
has sim '^/usr/libexec/meterd/lon-sim$'
has sim '^/usr/share/doc/meterd-sim/copyright$'
pass "contents: meterd holds the daemon, meterd-sim the simulators and the demo"

dpkg-deb -e "$deb" "$work/control"
sort "$work/control/conffiles" > "$work/conffiles"
grep '^/etc/' "$work/meterd.files" | grep -v '/$' | sort > "$work/etc-files"
diff -u "$work/etc-files" "$work/conffiles" || fail "the conffiles are not exactly the files under /etc"
depends=$(dpkg-deb -f "$deb" Depends)
for dep in adduser libc6 libsqlite3 libpaho-mqttpp3 libmodbus libsystemd0; do
  [[ $depends == *"$dep"* ]] || fail "Depends lacks $dep: $depends"
done
[[ $(dpkg-deb -f "$sim" Depends) == *"meterd (= "* ]] || fail "meterd-sim does not depend on its meterd"
[[ $(dpkg-deb -f "$deb" Maintainer) == *"<"*"@"*">" ]] || fail "no maintainer address"
pass "control: conffiles, Depends ($depends), Maintainer"

dpkg-deb -x "$deb" "$work/root"
for binary in usr/sbin/meterd usr/bin/meterctl; do
  file -b "$work/root/$binary" | grep -q ', stripped' || fail "$binary is not stripped"
done
zcat "$work/root/usr/share/man/man8/meterd.8.gz" | grep -q '^\.TH "METERD" "8"' || fail "meterd.8 has no .TH"
pass "binaries stripped, man pages rendered"

# The shipped site file describes no site: it is refused with a clear reason (so the service
# is not started on a fresh install), and its commented example bus, uncommented, passes.
plugins=$(dirname "$(ls "$work"/root/usr/lib/*/meterd/plugins/meterd-modbus.so)")
site=$work/root/etc/meterd/meterd.yaml
status=0
"$work/root/usr/sbin/meterd" --check-config --plugin-dir "$plugins" --config "$site" \
  > "$work/check.txt" 2>&1 || status=$?
[ "$status" = 78 ] && grep -q "'buses' must list at least one bus" "$work/check.txt" ||
  fail "the shipped site file: expected exit 78 for its missing buses, got $status: $(cat "$work/check.txt")"
{
  sed -e 's/^buses: \[\]/buses:/' -e "s|/var/lib/meterd/meterd.db|$work/site.db|" "$site"
  awk '/^#   - name: line1/{f=1} f&&/^#   /{sub(/^#   /,"  ");print;next} f&&/^#$/{f=0}' "$site"
  echo "profile_dir: $work/root/etc/meterd/profiles"
} > "$work/site.yaml"
"$work/root/usr/sbin/meterd" --check-config --plugin-dir "$plugins" --config "$work/site.yaml" \
  > "$work/check.txt" 2>&1 || fail "the shipped site file's example does not pass: $(cat "$work/check.txt")"
pass "the shipped site file waits for a site (exit 78, buses missing); its example bus passes"

# --- maintainer scripts against a scratch root ------------------------------------------------
# The scripts' absolute paths move under $root; the commands they run are recorders that log
# their arguments. `setpriv ... meterd --check-config` answers as $CHECK_RESULT says.
stubs=$work/stubs
mkdir -p "$stubs"
for tool in adduser getent deb-systemd-helper deb-systemd-invoke systemctl; do
  cat > "$stubs/$tool" <<STUB
#!/bin/sh
echo "$tool \$*" >> "\$CALLS"
case "$tool \$*" in
  "getent passwd meterd") [ -f "\$ROOT/user-exists" ] ;;
  "adduser --system"*) touch "\$ROOT/user-exists" ;;
  "deb-systemd-helper --quiet was-enabled"*|"deb-systemd-helper --quiet is-enabled"*) [ -f "\$ROOT/enabled" ] ;;
  "deb-systemd-helper enable"*) touch "\$ROOT/enabled" ;;
  "deb-systemd-helper purge"*|"deb-systemd-helper mask"*) rm -f "\$ROOT/enabled" ;;
esac
STUB
  chmod +x "$stubs/$tool"
done
cat > "$stubs/setpriv" <<'STUB'
#!/bin/sh
echo "setpriv $*" >> "$CALLS"
exit "$CHECK_RESULT"
STUB
cat > "$stubs/install" <<'STUB'
#!/bin/sh
# install -d -o USER -g GROUP -m MODE DIR: the folder and its mode (no such user here).
echo "install $*" >> "$CALLS"
eval dir=\${$#}
mkdir -p "$dir"
STUB
chmod +x "$stubs/setpriv" "$stubs/install"

run_script() {  # run_script NAME ARGS...: packaging/debian/NAME under $root
  local name=$1; shift
  sed -e "s|/var/lib/meterd|$root/var/lib/meterd|g" -e "s|/var/backups/meterd|$root/var/backups/meterd|g" \
      -e "s|/run/systemd/system|$root/run/systemd/system|g" -e "s|/etc/meterd|$root/etc/meterd|g" \
      "$work/control/$name" > "$work/$name.under-test"
  PATH="$stubs:$PATH" ROOT=$root CALLS=$root/calls CHECK_RESULT=$check sh "$work/$name.under-test" "$@" \
    > "$root/out" 2>&1 || fail "$name $* exited $?: $(cat "$root/out")"
}
called() { grep -qF -- "$1" "$root/calls" || fail "$2: expected a call '$1'; calls: $(tr '\n' ';' < "$root/calls")"; }
not_called() { ! grep -qF -- "$1" "$root/calls" || fail "$2: unexpected call '$1'"; }
fresh_root() { root=$work/root-$1; rm -rf "$root"; mkdir -p "$root/run/systemd/system"; : > "$root/calls"; }

fresh_root good; check=0
run_script postinst configure
called "adduser --system --group --home $root/var/lib/meterd" "first install"
called "adduser meterd dialout" "first install"
[ -d "$root/var/lib/meterd" ] && [ -d "$root/var/backups/meterd" ] || fail "first install: state folders missing"
called "setpriv --reuid=meterd" "first install"
called "deb-systemd-helper enable meterd.service" "first install, good config"
called "deb-systemd-invoke start meterd.service" "first install, good config"
pass "postinst: first install with a passing configuration creates the user and folders, enables and starts"

fresh_root bad; check=78
run_script postinst configure
not_called "deb-systemd-helper enable" "first install, bad config"
not_called "deb-systemd-invoke start" "first install, bad config"
grep -q "does not pass" "$root/out" || fail "first install, bad config: no message for the admin"
pass "postinst: first install with a failing configuration leaves the service disabled and says why"

fresh_root upgrade; check=0; touch "$root/user-exists" "$root/enabled"
run_script postinst configure 0.0.9
not_called "adduser --system" "upgrade"
called "deb-systemd-invoke try-restart meterd.service" "upgrade"
not_called "deb-systemd-invoke start" "upgrade"
pass "postinst: an upgrade restarts the running service and keeps the user"

fresh_root remove; check=0; mkdir -p "$root/var/lib/meterd"; touch "$root/var/lib/meterd/meterd.db"
run_script prerm remove
called "deb-systemd-invoke stop meterd.service" "remove"
run_script postrm remove
[ -f "$root/var/lib/meterd/meterd.db" ] || fail "remove deleted the store"
run_script postrm purge
[ ! -e "$root/var/lib/meterd" ] || fail "purge kept /var/lib/meterd"
pass "prerm/postrm: remove stops and keeps the store, purge deletes it"

fresh_root upgrade-prerm; check=0
run_script prerm upgrade 0.1.0
not_called "deb-systemd-invoke stop" "prerm upgrade"
pass "prerm: an upgrade does not stop the service (postinst restarts it)"

# --- a real install, upgrade and purge on this machine ------------------------------------------
# Only where asked (METERD_PACKAGE_INSTALL_TEST=1, as root): it adds a system user and installs
# into /etc, /usr and /var. CI machines are disposable; a developer's box is not.
if [ "${METERD_PACKAGE_INSTALL_TEST:-0}" = 1 ] && [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  dpkg --purge meterd-sim meterd >/dev/null 2>&1 || true
  apt-get install -y -q "$deb" > "$work/install.txt" 2>&1 || fail "install: $(tail -5 "$work/install.txt")"
  getent passwd meterd >/dev/null || fail "install: no meterd user"
  id -nG meterd | grep -qw dialout || fail "install: meterd is not in dialout"
  [ "$(stat -c '%U %a' /var/lib/meterd)" = "meterd 750" ] || fail "install: /var/lib/meterd owner/mode"
  [ -f /lib/systemd/system/meterd.service ] || fail "install: no unit"
  [ ! -e /etc/systemd/system/multi-user.target.wants/meterd.service ] ||
    fail "install: the service was enabled with a configuration that does not pass"
  grep -q "does not pass" "$work/install.txt" || fail "install: no word to the admin"
  echo "# edited by the admin" >> /etc/meterd/meterd.yaml
  echo site-state > /var/lib/meterd/marker
  dpkg -i "$deb" > "$work/upgrade.txt" 2>&1 || fail "reinstall: $(tail -5 "$work/upgrade.txt")"
  grep -q "edited by the admin" /etc/meterd/meterd.yaml || fail "upgrade: the admin's conffile edit is gone"
  [ -f /var/lib/meterd/marker ] || fail "upgrade: state lost"
  dpkg --remove meterd > /dev/null 2>&1 || fail "remove"
  [ -f /var/lib/meterd/marker ] && [ -f /etc/meterd/meterd.yaml ] || fail "remove: state or conffile gone"
  dpkg --purge meterd > /dev/null 2>&1 || fail "purge"
  [ ! -e /var/lib/meterd ] || fail "purge: /var/lib/meterd kept"
  [ ! -e /etc/meterd/meterd.yaml ] || fail "purge: conffile kept"
  pass "real install (user, folders, unit, not enabled without a site), upgrade (conffile kept), remove, purge"

  # A box whose site file is already in place (configuration management ran first): the first
  # install enables the service.
  mkdir -p /etc/meterd
  grep -v '^profile_dir:' "$work/site.yaml" | sed "s|$work/site.db|/var/lib/meterd/meterd.db|" \
    > /etc/meterd/meterd.yaml
  dpkg --force-confold -i "$deb" > "$work/install2.txt" 2>&1 || fail "install with a site: $(tail -5 "$work/install2.txt")"
  [ -L /etc/systemd/system/multi-user.target.wants/meterd.service ] ||
    fail "install with a passing site: the service was not enabled: $(cat "$work/install2.txt")"
  dpkg --purge meterd > /dev/null 2>&1 || fail "purge"
  [ ! -e /etc/systemd/system/multi-user.target.wants/meterd.service ] || fail "purge: still enabled"
  pass "real install with a passing site file enables the service; purge disables it"
else
  echo "check-package: real install cycle skipped (METERD_PACKAGE_INSTALL_TEST=1 as root runs it)"
fi
echo "check-package: all checks passed"
