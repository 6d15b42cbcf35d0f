#!/usr/bin/env python3
"""Turns Google Benchmark JSON from burrow-codec-bench into tables.

usage: bench_table.py CODEC_JSON [--markdown OUT.md] [--compiler TEXT]

Benchmark names are "<measurement>/<impl>/<case>": impl is burrow (the dispatched kernel),
burrow-<kernel> (one kernel forced), memcpy or beast; case is a size in bytes or a label. With
--benchmark_repetitions the medians are used; a run without repetitions uses its single result.
Throughput is bytes_per_second (GB/s, 1e9 bytes); benchmarks without bytes use items_per_second
(M items/s).

For each measurement: case | burrow | memcpy (the memcpy measurement, same case) | beast |
burrow/memcpy | burrow/beast, baseline columns only where the baseline exists. Then one table per
measurement that has forced kernels: case | each kernel | burrow.
"""
import argparse
import json
import re
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    medians = {}   # (measurement, impl, case) -> (value, unit)
    singles = {}   # the same from plain iteration runs: lists, averaged when no median exists
    order = []
    for b in doc.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        run_type = b.get("run_type", "iteration")
        if run_type == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = b.get("run_name") or b.get("name", "")
        name = re.sub(r"_(median|mean|stddev|cv)$", "", name)
        parts = name.split("/")
        if len(parts) < 3:
            continue
        key = (parts[0], parts[1], "/".join(parts[2:]))
        if "bytes_per_second" in b:
            value = (b["bytes_per_second"] / 1e9, "GB/s")
        elif "items_per_second" in b:
            value = (b["items_per_second"] / 1e6, "M/s")
        else:
            continue
        if key not in medians and key not in singles:
            order.append(key)
        if run_type == "aggregate":
            medians[key] = value
        else:
            singles.setdefault(key, []).append(value)
    results = dict(medians)
    for key, values in singles.items():
        if key not in results:
            results[key] = (sum(v for v, _ in values) / len(values), values[0][1])
    return doc.get("context", {}), results, order, bool(medians)


def case_sort_key(case, first_seen):
    return (0, int(case), "") if case.isdigit() else (1, first_seen[case], case)


def fmt(value):
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def ratio(a, b):
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def table(headers, rows):
    widths = [max(len(str(x)) for x in [h] + [r[i] for r in rows]) for i, h in enumerate(headers)]
    align = lambda cells: "| " + " | ".join(
        (str(c).ljust(w) if i == 0 else str(c).rjust(w)) for i, (c, w) in enumerate(zip(cells, widths))) + " |"
    sep = "|" + "|".join("-" * (w + 1) + ("-" if i == 0 else ":") for i, w in enumerate(widths)) + "|"
    return [align(headers), sep] + [align(r) for r in rows]


def machine_lines(context, compiler, order):
    cpu = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    lines = [f"- CPU: {cpu or 'unknown'} ({context.get('num_cpus', '?')} CPUs"
             + (f", {context['mhz_per_cpu']} MHz" if "mhz_per_cpu" in context else "") + ")"]
    if compiler:
        lines.append(f"- compiler: {compiler}")
    if context.get("cpu_scaling_enabled"):
        lines.append("- warning: CPU frequency scaling is enabled; numbers are noisy")
    # Active kernels, if the binary reports them (benchmark::AddCustomContext).
    kernels = {k: v for k, v in context.items() if "kernel" in k.lower()}
    for k, v in sorted(kernels.items()):
        lines.append(f"- {k}: {v}")
    # Otherwise: the kernels this CPU runs, as the per-kernel benchmarks list them.
    families = {}
    for m, impl, _ in order:
        if impl.startswith("burrow-"):
            family = m.split("_")[0]
            families.setdefault(family, [])
            if impl[7:] not in families[family]:
                families[family].append(impl[7:])
    for family, names in families.items():
        if not any(family in k for k in kernels):
            lines.append(f"- {family} kernels benchmarked: {', '.join(names)}")
    if "date" in context:
        lines.append(f"- date: {context['date']}")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("json")
    ap.add_argument("--markdown", help="also write the tables here")
    ap.add_argument("--compiler", help="compiler description for the header")
    args = ap.parse_args()

    context, results, order, have_medians = load(args.json)
    if not results:
        print(f"no benchmark results in {args.json}", file=sys.stderr)
        return 1

    measurements = []
    first_seen = {}
    for m, _, case in order:
        if m not in measurements:
            measurements.append(m)
        first_seen.setdefault(case, len(first_seen))

    out = ["# burrow codec benchmarks", ""] + machine_lines(context, args.compiler, order) + [""]
    out.append(("Medians of the repetitions." if have_medians else "Single runs (no repetitions).")
               + " GB/s = 1e9 bytes per second; M/s = million items per second.")

    for m in measurements:
        impls = [i for (mm, i, _) in order if mm == m]
        cases = sorted({c for (mm, _, c) in order if mm == m}, key=lambda c: case_sort_key(c, first_seen))
        plain = [i for i in dict.fromkeys(impls) if not i.startswith("burrow-")]
        if m == "memcpy":
            cols = plain
        else:
            cols = ["burrow"] if "burrow" in plain else []
            if any(("memcpy", "memcpy", c) in results for c in cases) or "memcpy" in plain:
                cols.append("memcpy")
            cols += [i for i in plain if i not in ("burrow", "memcpy")]
        if not cols:
            continue

        def value(impl, case):
            if impl == "memcpy" and m != "memcpy" and (m, "memcpy", case) not in results:
                r = results.get(("memcpy", "memcpy", case))
            else:
                r = results.get((m, impl, case))
            return r

        units = {r[1] for c in cases for i in cols if (r := value(i, c))}
        unit = "/".join(sorted(units)) or "?"
        headers = ["case"] + [f"{i} ({unit})" for i in cols]
        ratios = [b for b in ("memcpy", "beast") if "burrow" in cols and b in cols]
        headers += [f"burrow/{b}" for b in ratios]
        rows = []
        for c in cases:
            vals = {i: (value(i, c) or (None, None))[0] for i in cols}
            if all(v is None for v in vals.values()):
                continue
            rows.append([c] + [fmt(vals[i]) for i in cols] + [ratio(vals["burrow"], vals[b]) for b in ratios])
        out += ["", f"## {m}", ""] + table(headers, rows)

    kernel_sections = []
    for m in measurements:
        kernels = [i for i in dict.fromkeys(i for (mm, i, _) in order if mm == m) if i.startswith("burrow-")]
        if not kernels:
            continue
        cases = sorted({c for (mm, _, c) in order if mm == m}, key=lambda c: case_sort_key(c, first_seen))
        cols = kernels + (["burrow"] if any((m, "burrow", c) in results for c in cases) else [])
        units = {results[(m, i, c)][1] for c in cases for i in cols if (m, i, c) in results}
        unit = "/".join(sorted(units)) or "?"
        rows = [[c] + [fmt((results.get((m, i, c)) or (None,))[0]) for i in cols] for c in cases]
        kernel_sections += ["", f"### {m} ({unit})", ""] + table(
            ["case"] + [i.removeprefix("burrow-") if i != "burrow" else "burrow (dispatched)" for i in cols], rows)
    if kernel_sections:
        out += ["", "## Per kernel"] + kernel_sections

    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
