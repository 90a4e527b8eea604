#!/usr/bin/env bash
# `make check-deb`: the package as an admin gets it. Built and linted (make deb),
# installed; the installed files answer (--version, man, completion, the unit, the group);
# the installed kslice connects to the test ocserv from a profile whose password is a
# systemd credential (tests/integration/test_service.sh with KS_BIN=/usr/bin/kslice);
# then the package is purged again, if this script installed it. Root; Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "not ok - $*"; exit 1; }
make --no-print-directory deb
deb=$(ls -t build/kslice_*.deb | head -1)
was_installed=$(dpkg-query -W -f='${Status}' kslice 2>/dev/null | grep -c 'install ok installed' || true)
apt-get install -y -qq --no-install-recommends "./$deb" >/dev/null
[ "$was_installed" = 1 ] || trap 'apt-get purge -y -qq kslice >/dev/null' EXIT
echo "ok - $deb installs"
version=$(sed -n 's/^#define KSLICE_VERSION "\(.*\)"/\1/p' user/version.h)
[ "$(/usr/bin/kslice --version)" = "kslice $version" ] || fail "kslice --version"
echo "ok - kslice --version: kslice $version"
man -w kslice | grep -q '^/usr/share/man/man1/kslice.1' || fail "man -w kslice"
echo "ok - man -w kslice: $(man -w kslice)"
getent group kslice >/dev/null || fail "the kslice group"
echo "ok - the kslice group exists"
unit=$(dpkg -L kslice | grep '/kslice@\.service$') || fail "the unit is not in the package"
grep -q '^ExecStart=/usr/bin/kslice connect' "$unit" || fail "$unit runs /usr/bin/kslice"
echo "ok - $unit"
for f in /usr/share/bash-completion/completions/kslice /usr/share/zsh/vendor-completions/_kslice; do
	[ -s "$f" ] || fail "$f"
done
bash -c 'source /usr/share/bash-completion/bash_completion;
	source /usr/share/bash-completion/completions/kslice;
	COMP_WORDS=(kslice ""); COMP_CWORD=1; COMP_LINE="kslice "; COMP_POINT=7; _kslice;
	[[ " ${COMPREPLY[*]} " == *" connect "* ]]' || fail "the installed bash completion"
echo "ok - the installed bash completion completes kslice's commands"
KS_BIN=/usr/bin/kslice tests/integration/run test_service
