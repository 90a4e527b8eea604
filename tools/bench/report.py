#!/usr/bin/python3
"""Turns tools/bench/run's samples into the side-by-side tables, results.json and
ratios.png. Ratios are kslice / openconnect of the medians of interleaved rounds, over TLS
and over DTLS (the -dtls columns); with kslice-baseline (BENCH_LEVERS=1) also kslice /
kslice-baseline: what the levers buy. With BENCH_LOSS_PCT, a lossy path: kslice over TLS
and DTLS, openconnect over DTLS."""
import csv
import json
import os
import statistics
import subprocess
import sys
from collections import defaultdict

# metric -> (better, target ratio or None, label)
METRICS = {
    "up_mbit_s": ("higher", 2.0, "TCP throughput up (Mbit/s)"),
    "down_mbit_s": ("higher", 2.0, "TCP throughput down (Mbit/s)"),
    "up_cpu_ns_per_byte": ("lower", 0.25, "client CPU up (ns/byte)"),
    "down_cpu_ns_per_byte": ("lower", 0.25, "client CPU down (ns/byte)"),
    "up_user_ns_per_byte": ("lower", None, "  up: user"),
    "up_sys_ns_per_byte": ("lower", None, "  up: kernel"),
    "down_user_ns_per_byte": ("lower", None, "  down: user"),
    "down_sys_ns_per_byte": ("lower", None, "  down: kernel"),
    "up_ceiling_mbit_s": ("higher", None, "client ceiling up (Mbit/s, 1 core)"),
    "down_ceiling_mbit_s": ("higher", None, "client ceiling down (Mbit/s, 1 core)"),
    "up_gateway_ns_per_byte": ("lower", None, "ocserv CPU up (ns/byte)"),
    "down_gateway_ns_per_byte": ("lower", None, "ocserv CPU down (ns/byte)"),
    "up_gateway_cpu_pct": ("lower", None, "ocserv busy up (% of a core)"),
    "down_gateway_cpu_pct": ("lower", None, "ocserv busy down (% of a core)"),
    "up_gateway_ceiling_mbit_s": ("higher", None, "ocserv ceiling up (Mbit/s, 1 core)"),
    "down_gateway_ceiling_mbit_s": ("higher", None, "ocserv ceiling down (Mbit/s, 1 core)"),
    "ping_rtt_ms": ("lower", None, "ping RTT (ms)"),
    "loaded_rtt_p50_ms": ("lower", None, "ping RTT during upload p50 (ms)"),
    "loaded_rtt_p99_ms": ("lower", None, "ping RTT during upload p99 (ms)"),
    "dtls_up_ms": ("lower", None, "launch to data on DTLS (ms)"),
    "launch_to_usable_ms": ("lower", 1.0, "launch to usable (ms)"),
    "peak_rss_kib": ("lower", None, "peak RSS (KiB)"),
}
CLIENTS = ("kslice", "openconnect", "kslice-baseline", "kslice-dtls", "openconnect-dtls")
# The targets over DTLS (#14): CPU as over TLS, single-stream throughput >= 1.3.
DTLS_TARGETS = {"up_mbit_s": 1.3, "down_mbit_s": 1.3, "up_cpu_ns_per_byte": 0.25,
                "down_cpu_ns_per_byte": 0.25, "launch_to_usable_ms": 1.0}
# A ceiling is what one core would carry at the measured CPU per byte: 8 bits / (ns/byte)
# = Gbit/s. For ocserv, a ceiling close to the measured rate says it was the bottleneck.
DERIVED = {"ceiling_mbit_s": "cpu_ns_per_byte", "gateway_ceiling_mbit_s": "gateway_ns_per_byte"}


def load(path):
    data = defaultdict(lambda: defaultdict(dict))  # client -> round -> metric -> value
    with open(path) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            try:
                data[row["client"]][row["round"]][row["metric"]] = float(row["value"])
            except ValueError:
                pass
    for client in CLIENTS:
        for r in data[client].values():
            for d in ("up", "down"):
                if f"{d}_user_ns_per_byte" in r and f"{d}_sys_ns_per_byte" in r:
                    r[f"{d}_cpu_ns_per_byte"] = r[f"{d}_user_ns_per_byte"] + r[f"{d}_sys_ns_per_byte"]
                for name, src in DERIVED.items():
                    if r.get(f"{d}_{src}"):
                        r[f"{d}_{name}"] = 8000.0 / r[f"{d}_{src}"]
    return data


def summary(values):
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "samples": values}


def table(data, a, b, targets, base=None):
    """The metrics of client a against client b: summaries, ratio a/b, targets met."""
    out = {}
    for name, (better, target, label) in METRICS.items():
        target = targets(name, target)
        entry = {"label": label.strip(), "better": better, "target_ratio": target}
        for c in (a, b) + ((base,) if base else ()):
            entry[c] = summary([r[name] for r in data[c].values() if name in r])
        k, o = entry[a], entry[b]
        entry["ratio"] = k["median"] / o["median"] if k and o and o["median"] else None
        if base:
            bb = entry[base]
            entry["ratio_vs_baseline"] = k["median"] / bb["median"] if k and bb and bb["median"] else None
        if target is not None and entry["ratio"] is not None:
            entry["met"] = entry["ratio"] >= target if better == "higher" else entry["ratio"] <= target
        if any(entry[c] for c in (a, b)):
            out[name] = entry
    return out


def fmt(s):
    if not s:
        return "-"
    return f"{s['median']:.2f} [{s['min']:.2f}-{s['max']:.2f}]"


def show(title, metrics, a, b, base=None):
    if not metrics:
        return
    print(f"\n{title}")
    extra = f" {base:>24} {'k/base':>7}" if base else ""
    print(f"{'figure':36} {a:>24} {b:>24} {'ratio':>7}  {'target':16}{extra}")
    for name, e in metrics.items():
        ratio = f"{e['ratio']:.2f}" if e["ratio"] is not None else "-"
        tgt = ""
        if e["target_ratio"] is not None and e["ratio"] is not None:
            op = ">=" if e["better"] == "higher" else "<="
            tgt = f"{op}{e['target_ratio']:g} {'met' if e['met'] else 'NOT met'}"
        if base:
            rb = e.get("ratio_vs_baseline")
            extra = f" {fmt(e[base]):>24} {f'{rb:.2f}' if rb else '-':>7}"
        print(f"{METRICS[name][2]:36} {fmt(e[a]):>24} {fmt(e[b]):>24} {ratio:>7}  {tgt:16}{extra}")


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from perf_shares import CATEGORIES as PERF_CATEGORIES  # noqa: E402

# tools/bench/perf_shares.py's categories, as the table names them
PERF_LABELS = {
    "bpf": "BPF programs (kslice's filters)",
    "softirq": "softirq (receive work, often not its own)",
    "tun_write": "TUN write (the application's TCP inside)",
    "tun_read": "TUN read",
    "udp_send": "UDP send",
    "udp_recv": "UDP receive",
    "tcp_send": "TCP send (TLS)",
    "tcp_recv": "TCP receive (TLS)",
    "wait": "waiting, scheduling",
    "kernel_other": "kernel: the rest",
    "user_cipher": "user: cipher (and TLS library)",
    "user_other": "user: the rest",
}


assert list(PERF_LABELS) == PERF_CATEGORIES, "perf_shares.py's categories changed"


def perf_split(data, a, b):
    """With BENCH_PERF: each client's CPU per byte split by perf_shares.py's categories,
    median share of the rounds times the median CPU per byte (so the rows need not add up
    to the total exactly). Also the CPU less the TUN write, where the application's TCP
    runs; softirq stays in it (on a plain veth mostly the gateway's receive)."""
    out = {}
    for d in ("up", "down"):
        rows = {}
        for c in (a, b):
            rounds = list(data[c].values())
            cpu = summary([r[f"{d}_cpu_ns_per_byte"] for r in rounds if f"{d}_cpu_ns_per_byte" in r])
            if not cpu or not any(f"{d}_perf_tun_write" in r for r in rounds):
                continue
            for cat in PERF_LABELS:
                share = summary([r[f"{d}_perf_{cat}"] for r in rounds if f"{d}_perf_{cat}" in r])
                if share:
                    rows.setdefault(cat, {})[c] = {"share": share["median"],
                                                   "ns_per_byte": share["median"] * cpu["median"]}
            tun = rows.get("tun_write", {}).get(c)
            if tun:
                rows.setdefault("without_tun_write", {})[c] = {
                    "share": 1 - tun["share"], "ns_per_byte": cpu["median"] - tun["ns_per_byte"]}
        if rows:
            out[d] = rows
    return out


def show_perf(split, a, b):
    for d, rows in split.items():
        print(f"\n{d}: where each client's CPU went (perf samples; share, ns/byte)")
        print(f"{'':40} {a:>20} {b:>20} {'ratio':>7}")
        for cat, row in rows.items():
            label = PERF_LABELS.get(cat, "all but the TUN write")
            cells = [f"{row[c]['share'] * 100:5.1f}% {row[c]['ns_per_byte']:6.2f}" if c in row else "-"
                     for c in (a, b)]
            ratio = (f"{row[a]['ns_per_byte'] / row[b]['ns_per_byte']:.2f}"
                     if a in row and b in row and row[b]["ns_per_byte"] else "-")
            print(f"{label:40} {cells[0]:>20} {cells[1]:>20} {ratio:>7}")


def pace(m, who):
    for d in ("up", "down"):
        busy = m.get(f"{d}_gateway_cpu_pct", {}).get(who)
        ceil = m.get(f"{d}_ceiling_mbit_s", {}).get(who)
        rate = m.get(f"{d}_mbit_s", {}).get(who)
        if busy and ceil and rate:
            pace = "ocserv set the pace" if busy["median"] >= 85 else "ocserv had room"
            print(f"{d}: with {who}, ocserv was {busy['median']:.0f}% busy ({pace}); {who} "
                  f"carried {rate['median']:.0f} Mbit/s and would carry {ceil['median']:.0f} "
                  f"on one core of its own")


def main():
    samples, out = sys.argv[1], sys.argv[2]
    loss = os.environ.get("BENCH_LOSS_PCT", "0")
    data = load(samples)
    result = {"rounds": max((len(data[c]) for c in CLIENTS), default=0), "loss_pct": loss}
    lossy = loss not in ("", "0")
    base = "kslice-baseline" if data.get("kslice-baseline") else None
    if lossy:
        none = lambda n, t: None  # a lossy path has no targets: it is context
        result["metrics"] = table(data, "kslice-dtls", "openconnect-dtls", none)
        result["metrics_tls_vs_dtls"] = table(data, "kslice", "kslice-dtls", none)
    else:
        result["metrics"] = table(data, "kslice", "openconnect", lambda n, t: t, base)
        result["metrics_dtls"] = table(data, "kslice-dtls", "openconnect-dtls",
                                       lambda n, t: DTLS_TARGETS.get(n))
    under = data.get("underlay", {}).get("0", {})
    aes = data.get("aes_gcm", {}).get("0", {})
    result["limits"] = {"underlay_up_mbit_s": under.get("up_mbit_s"),
                        "underlay_down_mbit_s": under.get("down_mbit_s"),
                        "aes_256_gcm_ns_per_byte_one_core": aes.get("ns_per_byte")}
    result["tcp_congestion_control"] = os.environ.get("BENCH_TCP_CC", "")
    # perf record ran during the transfers: its sampling is in every CPU figure
    result["perf_recorded"] = os.environ.get("BENCH_PERF_ON") == "1"
    if result["perf_recorded"]:
        pairs = ((("kslice-dtls", "openconnect-dtls"),) if lossy else
                 (("kslice", "openconnect"), ("kslice-dtls", "openconnect-dtls")))
        result["perf_split"] = {f"{a} vs {b}": perf_split(data, a, b) for a, b in pairs}
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(result, f, indent=2)
    n = result["rounds"]
    if lossy:
        show(f"{loss} % loss each way: kslice vs openconnect over DTLS, {n} interleaved rounds "
             "(median [min-max]; ratio = kslice/openconnect)", result["metrics"],
             "kslice-dtls", "openconnect-dtls")
        show(f"{loss} % loss each way: kslice over TLS vs over DTLS (ratio = TLS/DTLS)",
             result["metrics_tls_vs_dtls"], "kslice", "kslice-dtls")
    else:
        show(f"over TLS: kslice vs openconnect, same ocserv, {n} interleaved rounds "
             "(median [min-max]; ratio = kslice/openconnect)", result["metrics"], "kslice",
             "openconnect", base)
        pace(result["metrics"], "kslice")
        show("over DTLS: kslice vs openconnect, same rounds", result["metrics_dtls"],
             "kslice-dtls", "openconnect-dtls")
        pace(result["metrics_dtls"], "kslice-dtls")
    lim = result["limits"]
    print(f"limits: underlay up {lim['underlay_up_mbit_s']} Mbit/s, down "
          f"{lim['underlay_down_mbit_s']} Mbit/s; AES-256-GCM on one core "
          f"{lim['aes_256_gcm_ns_per_byte_one_core']} ns/byte; transfers' TCP "
          f"congestion control {result['tcp_congestion_control']}")
    if result["perf_recorded"]:
        for pair, split in result["perf_split"].items():
            show_perf(split, *pair.split(" vs "))
        print("note: perf record ran during the transfers (BENCH_PERF): CPU figures include it")
    print(f"written: {out}/results.json, {out}/ratios.png")
    plot(result, out)


def plot(result, out):
    rows = [(f"{tag}{n}", e["ratio"]) for key, tag in (("metrics", ""), ("metrics_dtls", "dtls "))
            for n, e in result.get(key, {}).items()
            if e["ratio"] is not None and "user" not in n and "sys" not in n
            and "gateway" not in n and "rtt" not in n]
    dat = os.path.join(out, "ratios.dat")
    with open(dat, "w") as f:
        for i, (n, r) in enumerate(rows):
            f.write(f'{i} {r:.4f} "{n.replace("_", " ")}"\n')
    script = f"""
set terminal png size 1000,520 noenhanced
set output '{out}/ratios.png'
set title 'kslice / openconnect (median of interleaved rounds; >1 is better for throughput, <1 for the rest)'
set style fill solid 0.6
set boxwidth 0.7
set yrange [0:*]
set xtics rotate by -30 font ',9'
set grid ytics
unset key
plot '{dat}' using 1:2:xtic(3) with boxes lc rgb '#3366aa', 1 with lines lc rgb '#cc3333' lw 2
"""
    try:
        subprocess.run(["gnuplot"], input=script.encode(), check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"no plot: {e}", file=sys.stderr)


if __name__ == "__main__":
    main()
