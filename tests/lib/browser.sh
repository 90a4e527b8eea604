#!/bin/sh
# The tests' --external-browser: a real headless Chromium on the URL it is given ($1), for
# at most 60 s. The gateway's certificate is the test CA's (kslice pins it; the browser is
# told not to check). Who ran it and its PID go to $KS_BROWSER_DIR (id, pid) for the test.
d=${KS_BROWSER_DIR:?}
id -u > "$d/uid"
prof=$(mktemp -d "$d/profile.XXXXXX") || exit 1
echo $$ > "$d/pid"
HOME=$prof exec timeout 60 chromium --headless=new --no-sandbox --disable-gpu \
	--no-first-run --ignore-certificate-errors --user-data-dir="$prof" "$1"
