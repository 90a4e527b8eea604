#!/usr/bin/python3
"""Where a client's CPU went during one transfer: the samples of `perf record -a -g`
(tools/bench/run, BENCH_PERF=1) that belong to the client's processes, each put in the
first category below that its call stack holds, as shares of the client's samples.

Usage: perf_shares.py PERF_DATA PID [PID...]      (prints "category<TAB>share" lines)
       perf_shares.py --script FILE PID [PID...]  (the output of perf script -F pid,ip,sym,dso)

The categories are the BPF programs kslice attaches, kernel paths a VPN client runs in
its own system calls, and its user space split into the cipher and the rest. The TUN
write matters most: the kernel runs the tunnelled application's TCP (an ACK taken in, the
segments it releases sent) inside the client's write of that packet to the TUN device,
so part of every client's CPU is work neither client can do without.

The shares are of perf's samples (cpu-clock); the CPU figures they multiply come from
/proc/PID/stat. With CONFIG_IRQ_TIME_ACCOUNTING a kernel bills softirq time to no task,
and the softirq share would then have no counterpart in the CPU figure: this machine's
kernel does not.
"""
import subprocess
import sys
from collections import Counter

# Kernel categories, by a function on the sample's stack; the first that matches wins.
# BPF programs first: the packet filters kslice attaches run inside the TUN write and the
# UDP send, and are its own work, not the application's TCP. Softirq next: receive work
# run on the client's time, whoever's (on a plain veth mostly ocserv's; inside a TUN write,
# the application's TCP acting on a timer).
BPF_PROG = "bpf_prog_"  # perf's name for a JIT-ed program: bpf_prog_<tag>_<name>
KERNEL = (
    ("softirq", ("handle_softirqs", "__do_softirq")),
    ("tun_write", ("tun_get_user",)),
    ("tun_read", ("tun_do_read",)),
    ("udp_send", ("udp_sendmsg", "udpv6_sendmsg")),
    ("udp_recv", ("udp_recvmsg", "udpv6_recvmsg")),
    ("tcp_send", ("tcp_sendmsg",)),
    ("tcp_recv", ("tcp_recvmsg",)),
    ("wait", ("schedule", "io_cqring_wait", "do_sys_poll", "do_select", "do_epoll_wait")),
)
# User space: kslice's own AES-GCM (user/aes_gcm.c, in kslice's binary) and the TLS
# libraries, whole (their record layers too), count as cipher.
CIPHER_SYMBOLS = {"crypt", "crypt_step", "ghash_16", "tag_of", "aes_gcm_seal", "aes_gcm_open",
                  "aes_block", "aes_n", "gf_mul", "reduce"}
CIPHER_LIBRARIES = ("libcrypto.so", "libssl.so", "libgnutls.so", "libnettle.so",
                    "libhogweed.so")
CATEGORIES = (["bpf"] + [c for c, _ in KERNEL] +
              ["kernel_other", "user_cipher", "user_other"])
KERNEL_SPACE = 0xffff800000000000  # x86-64: the kernel's half (modules, BPF programs too)


def frame(line):
    """(address, symbol, dso) of a call-chain line: 'ADDR SYMBOL+OFF (DSO)'."""
    parts = line.split(None, 1)
    try:
        addr = int(parts[0], 16)
    except (IndexError, ValueError):
        addr = 0
    sym, _, dso = (parts[1] if len(parts) > 1 else "").rpartition(" (")
    return addr, sym.split("+")[0], dso[:-1] if dso.endswith(")") else dso


def classify(frames):
    addr, sym, dso = frames[0]
    if addr < KERNEL_SPACE:
        name = sym.split(".")[0]  # crypt.constprop.0: the compiler's copy of crypt
        if (name in CIPHER_SYMBOLS and dso.rsplit("/", 1)[-1] == "kslice") or any(
                lib in dso for lib in CIPHER_LIBRARIES):
            return "user_cipher"
        return "user_other"
    if any(s.startswith(BPF_PROG) for _, s, _ in frames):
        return "bpf"
    names = {s for _, s, _ in frames}
    for cat, funcs in KERNEL:
        if any(f in names for f in funcs):
            return cat
    return "kernel_other"


def shares(lines, pids):
    """Shares of the samples whose process is one of pids (perf script's pid field)."""
    counts, head, frames = Counter(), None, []

    def flush():
        if head in pids and frames:
            counts[classify(frames)] += 1

    for line in lines:
        if not line.strip():
            flush()
            head, frames = None, []
        elif head is None and not line.startswith("\t"):  # the pid, padded: "  1556 "
            head = line.split()[0]
        elif head is not None:
            frames.append(frame(line.strip()))
    flush()
    total = sum(counts.values())
    return {c: counts[c] / total for c in CATEGORIES} if total else {}, total


def main(argv):
    if len(argv) < 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    if argv[1] == "--script":
        if len(argv) < 4:
            return 2
        with open(argv[2], errors="replace") as f:
            lines = f.read().splitlines()
        pids = set(argv[3:])
    else:
        out = subprocess.run(["perf", "script", "-i", argv[1], "-F", "pid,ip,sym,dso"],
                             capture_output=True, text=True, errors="replace")
        if out.returncode:
            print(f"perf script -i {argv[1]}: exit {out.returncode}", file=sys.stderr)
            return 1
        lines = out.stdout.splitlines()
        pids = set(argv[2:])
    result, total = shares(lines, pids)
    if not total:
        print(f"no samples of process(es) {' '.join(sorted(pids))}", file=sys.stderr)
        return 1
    for cat in CATEGORIES:
        print(f"{cat}\t{result[cat]:.4f}")
    print(f"samples\t{total}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
