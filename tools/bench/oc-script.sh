#!/bin/sh
# openconnect's --script for the benchmark: give the TUN device its address and MTU, like
# kslice does, and nothing else (no routes, no resolv.conf: the namespace is not ours to
# rewrite, and both clients must run in the same topology).
case "$reason" in
connect)
	ip link set dev "$TUNDEV" mtu "${INTERNAL_IP4_MTU:-1400}" up
	ip addr add "$INTERNAL_IP4_ADDRESS/32" dev "$TUNDEV"
	;;
esac
exit 0
