#!/usr/bin/python3
"""Turns tools/bench/run's samples into the side-by-side table, results.json and
ratios.png. Ratios are kslice / openconnect of the medians of interleaved rounds; with
kslice-baseline (BENCH_LEVERS=1) also kslice / kslice-baseline: what the levers buy."""
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
    "launch_to_usable_ms": ("lower", 1.0, "launch to usable (ms)"),
    "peak_rss_kib": ("lower", None, "peak RSS (KiB)"),
}
CLIENTS = ("kslice", "openconnect", "kslice-baseline")
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


def main():
    samples, out = sys.argv[1], sys.argv[2]
    data = load(samples)
    result = {"metrics": {}, "limits": {}, "rounds": max(
        (len(data[c]) for c in CLIENTS), default=0)}
    for name, (better, target, label) in METRICS.items():
        entry = {"label": label.strip(), "better": better, "target_ratio": target}
        for c in CLIENTS:
            entry[c] = summary([r[name] for r in data[c].values() if name in r])
        k, o, b = entry["kslice"], entry["openconnect"], entry["kslice-baseline"]
        entry["ratio"] = k["median"] / o["median"] if k and o and o["median"] else None
        entry["ratio_vs_baseline"] = k["median"] / b["median"] if k and b and b["median"] else None
        if target is not None and entry["ratio"] is not None:
            entry["met"] = entry["ratio"] >= target if better == "higher" else entry["ratio"] <= target
        result["metrics"][name] = entry
    under = data.get("underlay", {}).get("0", {})
    aes = data.get("aes_gcm", {}).get("0", {})
    result["limits"] = {"underlay_up_mbit_s": under.get("up_mbit_s"),
                        "underlay_down_mbit_s": under.get("down_mbit_s"),
                        "aes_256_gcm_ns_per_byte_one_core": aes.get("ns_per_byte")}
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(result, f, indent=2)

    def fmt(s):
        if not s:
            return "-"
        return f"{s['median']:.2f} [{s['min']:.2f}-{s['max']:.2f}]"

    print(f"\nkslice vs openconnect, same ocserv, {result['rounds']} interleaved rounds "
          "(median [min-max]; ratio = kslice/openconnect)")
    base = any(e["kslice-baseline"] for e in result["metrics"].values())
    extra = f" {'kslice-baseline':>24} {'k/base':>7}" if base else ""
    print(f"{'figure':36} {'kslice':>24} {'openconnect':>24} {'ratio':>7}  {'target':16}{extra}")
    for name, e in result["metrics"].items():
        ratio = f"{e['ratio']:.2f}" if e["ratio"] is not None else "-"
        tgt = ""
        if e["target_ratio"] is not None and e["ratio"] is not None:
            op = ">=" if e["better"] == "higher" else "<="
            tgt = f"{op}{e['target_ratio']:g} {'met' if e['met'] else 'NOT met'}"
        if base:
            rb = e["ratio_vs_baseline"]
            extra = f" {fmt(e['kslice-baseline']):>24} {f'{rb:.2f}' if rb else '-':>7}"
        print(f"{METRICS[name][2]:36} {fmt(e['kslice']):>24} {fmt(e['openconnect']):>24} "
              f"{ratio:>7}  {tgt:16}{extra}")
    for d in ("up", "down"):
        m = result["metrics"]
        busy, ceil = m[f"{d}_gateway_cpu_pct"]["kslice"], m[f"{d}_ceiling_mbit_s"]["kslice"]
        rate = m[f"{d}_mbit_s"]["kslice"]
        if busy and ceil and rate:
            who = "ocserv set the pace" if busy["median"] >= 85 else "ocserv had room"
            print(f"{d}: with kslice, ocserv was {busy['median']:.0f}% busy ({who}); kslice "
                  f"carried {rate['median']:.0f} Mbit/s and would carry {ceil['median']:.0f} "
                  f"on one core of its own")
    lim = result["limits"]
    print(f"limits: underlay up {lim['underlay_up_mbit_s']} Mbit/s, down "
          f"{lim['underlay_down_mbit_s']} Mbit/s; AES-256-GCM on one core "
          f"{lim['aes_256_gcm_ns_per_byte_one_core']} ns/byte")
    print(f"written: {out}/results.json, {out}/ratios.png")
    plot(result, out)


def plot(result, out):
    rows = [(n, e["ratio"]) for n, e in result["metrics"].items()
            if e["ratio"] is not None and "user" not in n and "sys" not in n
            and "gateway" not in n]
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
