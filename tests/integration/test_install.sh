#!/usr/bin/env bash
# make install / uninstall into a staging DESTDIR (every file where the FHS and Debian put
# it, the unit pointing at the installed binary), and plain `make` on a machine without a
# build dependency: it names the Debian package instead of failing obscurely.
set -u
KS_WORK=$(mktemp -d /tmp/ks-install.XXXXXX)
source "$(dirname "$0")/../lib/netns.sh"
trap 'rm -rf "$KS_WORK"' EXIT
build=$(dirname "$KS_BIN")
if [ "$(basename "$build")" = "${build#"$KS_TOP"/}" ] && [ -f "$build/user/main.o" ]; then
	: # a build directory of this tree (build/, build-san/): install from it
else
	echo "# $KS_BIN is not a build directory of $KS_TOP: nothing to install from"
	ks_skip "make install (KS_BIN is installed already)"
	ks_done
	exit
fi
mk() { make --no-print-directory -C "$KS_TOP" BUILD="$build" "$@"; }

# --- make install DESTDIR=... PREFIX=/usr ---
dest=$KS_WORK/root
mk install DESTDIR="$dest" PREFIX=/usr >"$KS_WORK/install.log" 2>&1
ks_expect_eq "make install: exit 0" 0 "$?" || sed 's/^/# /' "$KS_WORK/install.log"
want="/etc/kslice
/usr/bin/kslice
/usr/lib/systemd/system/kslice@.service
/usr/lib/sysusers.d/kslice.conf
/usr/share/bash-completion/completions/kslice
/usr/share/doc/kslice/README.md
/usr/share/doc/kslice/examples/work.conf
/usr/share/doc/kslice/kslice.1.md
/usr/share/doc/kslice/operations.md
/usr/share/man/man1/kslice.1
/usr/share/zsh/vendor-completions/_kslice"
got=$(cd "$dest" && for f in $want; do [ -e ".$f" ] && echo "$f"; done)
ks_expect_eq "the files where they belong" "$want" "$got"
ks_expect_eq "the binary is executable and answers" "kslice $(sed -n 's/^#define KSLICE_VERSION "\(.*\)"/\1/p' "$KS_TOP/user/version.h")" "$("$dest/usr/bin/kslice" --version)"
ks_expect "the unit runs the installed binary" \
	grep -q "^ExecStart=/usr/bin/kslice connect --non-inter @%i$" "$dest/usr/lib/systemd/system/kslice@.service"
ks_expect "no @PLACEHOLDER@ is left in the unit" \
	bash -c "! grep -q '@[A-Z]*@' '$dest/usr/lib/systemd/system/kslice@.service'"
ks_expect "man finds the installed page" \
	bash -c "MANPATH='$dest/usr/share/man' man -w kslice | grep -q '$dest/usr/share/man/man1/kslice.1'"
ks_expect_eq "modes: binary 0755, man page 0644" "755 644" \
	"$(stat -c %a "$dest/usr/bin/kslice") $(stat -c %a "$dest/usr/share/man/man1/kslice.1")"

# --- make uninstall takes back what install put, leaves /etc/kslice (the admin's) ---
echo "server vpn.example.com" >"$dest/etc/kslice/work.conf"
mk uninstall DESTDIR="$dest" PREFIX=/usr >"$KS_WORK/uninstall.log" 2>&1
ks_expect_eq "make uninstall: exit 0" 0 "$?"
left=$(cd "$dest" && find . -type f | sort)
ks_expect_eq "only the admin's profile is left" "./etc/kslice/work.conf" "$left"

# --- PREFIX=/usr/local: the default; the unit follows the prefix ---
mk install DESTDIR="$dest/local" >/dev/null 2>&1
ks_expect "PREFIX defaults to /usr/local, and the unit follows it" \
	grep -q "^ExecStart=/usr/local/bin/kslice " "$dest/local/usr/local/lib/systemd/system/kslice@.service"

# --- plain make without a build dependency says which package is missing ---
mkdir -p "$KS_WORK/fakebin"
cat >"$KS_WORK/fakebin/dpkg-query" <<'EOF'
#!/bin/sh
# as on a fresh machine where python3-kconfiglib is not installed
for a; do case $a in python3-kconfiglib) exit 1 ;; esac; done
printf 'install ok installed'
EOF
chmod +x "$KS_WORK/fakebin/dpkg-query"
out=$(PATH="$KS_WORK/fakebin:$PATH" make --no-print-directory -C "$KS_TOP" -n 2>&1)
ks_expect_eq "make without python3-kconfiglib: fails (exit 2)" 2 "$?"
ks_expect "... naming the package and the command ($out)" \
	grep -qF 'missing build dependencies (Debian packages): python3-kconfiglib. Install them with `sudo apt-get install python3-kconfiglib`' <<<"$out"
out=$(PATH="$KS_WORK/fakebin:$PATH" make --no-print-directory -C "$KS_TOP" -n help 2>&1)
ks_expect_eq "make help needs nothing built: exit 0" 0 "$?"
ks_done
