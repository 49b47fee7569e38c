#!/usr/bin/env python3
"""Deterministic SLI history for opsdeck's integration tests (stdlib only).

Writes one OpenMetrics file per UTC day (``YYYY-MM-DD.om``; ``--split-hours`` for smaller
UTC-aligned chunks) into OUT_DIR, ready for
``promtool tsdb create-blocks-from openmetrics FILE DATA_DIR`` (run one per file;
``xargs -P2`` is fine), and writes the exact expected values as JSON (``--expected
FILE``, else stderr).

There is NO randomness: the output depends only on --end, --days and --step.

Series (all samples of a series in ascending time order, timestamps in SECONDS,
``# EOF`` at the end of every file):

  http_requests_total{service, code="200"|"404"|"500"}                 counter
  http_request_duration_seconds_bucket{service, le=...}                histogram
  http_request_duration_seconds_sum{service} / _count{service}

Traffic, per step (requests counted in the step ending at the sample):
  * volume = 1000 x k requests, k = 1 for UTC hours 00-07, 3 for 08-17, 2 for 18-23
    (hour of the step's start). Every step is a whole multiple of 1000 requests, so
    every per-step fraction below is an exact integer.
  * checkout  healthy: per 1000 requests 997 x 200, 2 x 404, 1 x 500 (0.1 % errors).
              latency: 995 of 1000 requests <= 0.5 s (0.5 % slow).
  * payments  same baseline, plus a trailing SPIKE: the last --spike-minutes (90)
              minutes have 948 x 200, 2 x 404, 50 x 500 per 1000 (5 % errors), so at
              `end` the 1h and 5m error ratios are 0.05 -> burn rate 50 > 14.4 (PAGE at
              99.9 %). latency: 980 of 1000 <= 0.5 s (2 % slow).
  * ledger    counters and histogram exist but never increase (constant non-zero
              values): every window has 0 events -> NO DATA.
  "good" = code !~ "5..", "bad" = code =~ "5.." (404 is good).

Counters of checkout/payments are 0 at the first sample (start = end - days).
Samples are at start, start+step, ..., end (days*86400/step + 1 per series), so every
window W <= days has a sample exactly at end-W.

Expected values (window W ending at `end`): the sum of the per-step increments of the
samples with timestamp t in (end-W, end], i.e. counter(end) - counter(end-W).
Prometheus 2.x (Debian's 2.42) selects [end-W, end] (both ends closed); since a sample
sits exactly on end-W and on end, `increase(x[W])` evaluated at time=end needs no
extrapolation and returns these integers exactly (checked against the real server
by scripts/check-stack.sh). See "tolerance" in the JSON for other query times and
Prometheus 3 (left-open windows).
"""
import argparse
import datetime as dt
import json
import os
import sys
import time
from fractions import Fraction

ACTIVE = ("checkout", "payments")
ALL_SERVICES = ("checkout", "payments", "ledger")  # ledger: the no-traffic service
CODES = ("200", "404", "500")
# Per 1000 requests.
CODES_NORMAL = {"200": 997, "404": 2, "500": 1}
CODES_SPIKE = {"200": 948, "404": 2, "500": 50}
# Histogram: bucket upper bounds (le label text) and cumulative counts per 1000 requests.
LE = ("0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "+Inf")
CUM = {
    "checkout": (550, 800, 940, 995, 998, 999, 1000),
    "payments": (500, 750, 900, 980, 995, 999, 1000),
}
SUM_MS = {"checkout": 80_000, "payments": 120_000}  # latency sum per 1000 requests, in ms
LATENCY_LE = "0.5"
LATENCY_IDX = LE.index(LATENCY_LE)
# ledger: constant values (never increase).
LEDGER_CODES = {"200": 4242, "404": 0, "500": 7}
LEDGER_CUM = (2000, 3000, 4000, 4200, 4240, 4249, 4249)
LEDGER_SUM_MS = 400_000
HOUR_MULT = [1] * 8 + [3] * 10 + [2] * 6

WINDOWS = (("5m", 300), ("30m", 1800), ("1h", 3600), ("2h", 7200), ("6h", 21600),
           ("1d", 86400), ("3d", 259200), ("28d", 2419200), ("30d", 2592000))
# Multiwindow multi-burn-rate policy (SRE Workbook, 30 d): name, long, short, factor.
POLICY = (("page_1h_5m", "1h", "5m", Fraction(144, 10), "PAGE"),
          ("page_6h_30m", "6h", "30m", Fraction(6), "PAGE"),
          ("ticket_1d_2h", "1d", "2h", Fraction(3), "TICKET"),
          ("ticket_3d_6h", "3d", "6h", Fraction(1), "TICKET"))
AVAILABILITY_OBJECTIVE = Fraction(999, 1000)
LATENCY_OBJECTIVE = Fraction(99, 100)


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out-dir", required=True, help="directory for the per-day .om files (created)")
    ap.add_argument("--expected", help="write the expected-values JSON here (default: stderr)")
    ap.add_argument("--days", type=int, default=30, help="history length in days (default 30)")
    ap.add_argument("--step", type=int, default=60, help="sample interval in seconds (default 60)")
    ap.add_argument("--end", default="now",
                    help="unix seconds of the last sample, or 'now' (default); rounded down to the step; "
                         "must not be in the future")
    ap.add_argument("--split-hours", type=int, default=24, choices=(2, 4, 6, 12, 24),
                    help="hours per output file, UTC-aligned (default 24: one file per UTC day)")
    ap.add_argument("--spike-minutes", type=int, default=90, help="length of the payments error spike (default 90)")
    args = ap.parse_args(argv)
    if args.step <= 0 or 3600 % args.step != 0:
        ap.error("--step must divide 3600 (e.g. 15, 30, 60, 300)")
    if args.days <= 0:
        ap.error("--days must be positive")
    if args.spike_minutes < 0 or args.spike_minutes * 60 % args.step != 0:
        ap.error("--spike-minutes must be >= 0 and a whole number of steps")
    now = int(time.time())
    if args.end == "now":
        end = now
    else:
        try:
            end = int(args.end)
        except ValueError:
            ap.error("--end must be unix seconds or 'now'")
        if end > now:
            ap.error(f"--end {end} is in the future (now {now}): Prometheus would reject rule results "
                     "after a future block ('out of bounds')")
    args.end_ts = end - end % args.step
    return args


def step_counts(args):
    """Per-step increments: {service: {"codes": {code: [..]}, "cum": [[..] per le], "sum_ms": [..]}}.

    Index i is the sample at start + i*step; index 0 (the first sample) has no increment.
    """
    n = args.days * 86400 // args.step + 1
    start = args.end_ts - (n - 1) * args.step
    spike_from = args.end_ts - args.spike_minutes * 60  # steps ending after this are in the spike
    kilo = [0] * n
    spike = [False] * n
    for i in range(1, n):
        t = start + i * args.step
        kilo[i] = HOUR_MULT[((t - args.step) // 3600) % 24]
        spike[i] = t > spike_from
    out = {}
    for svc in ACTIVE:
        codes = {}
        for code in CODES:
            if svc == "payments":
                codes[code] = [k * (CODES_SPIKE if s else CODES_NORMAL)[code] for k, s in zip(kilo, spike)]
            else:
                codes[code] = [k * CODES_NORMAL[code] for k in kilo]
        cum = [[k * c for k in kilo] for c in CUM[svc]]
        out[svc] = {"codes": codes, "cum": cum, "sum_ms": [k * SUM_MS[svc] for k in kilo]}
    zeros = [0] * n
    out["ledger"] = {"codes": {c: zeros for c in CODES}, "cum": [zeros for _ in LE], "sum_ms": zeros}
    return start, n, out


def running(incs, base=0):
    acc, res = base, []
    for v in incs:
        acc += v
        res.append(acc)
    return res


def fmt_ms(ms):
    return f"{ms // 1000}.{ms % 1000:03d}"


def write_files(args, start, n, data):
    """Write one OpenMetrics file per UTC chunk (default: day); return the file names in order."""
    os.makedirs(args.out_dir, exist_ok=True)
    times = [start + i * args.step for i in range(n)]
    # Day boundaries: [lo, hi) index ranges.
    chunk_secs = args.split_hours * 3600
    days = []
    i = 0
    while i < n:
        day = times[i] // chunk_secs
        j = i  # first index whose time is in the next UTC chunk
        while j < n and times[j] // chunk_secs == day:
            j += 1
        days.append((day, i, j))
        i = j
    ts = [f" {t}\n" for t in times]
    counters = {}
    hists = {}
    for svc in ALL_SERVICES:
        d = data[svc]
        base_c = LEDGER_CODES if svc == "ledger" else {c: 0 for c in CODES}
        counters[svc] = {c: running(d["codes"][c], base_c[c]) for c in CODES}
        if svc == "ledger":
            hists[svc] = ([running(col, LEDGER_CUM[b]) for b, col in enumerate(d["cum"])],
                          running(d["sum_ms"], LEDGER_SUM_MS))
        else:
            hists[svc] = ([running(col) for col in d["cum"]], running(d["sum_ms"]))
    names = []
    for day, lo, hi in days:
        fmt = "%Y-%m-%d" if args.split_hours == 24 else "%Y-%m-%dT%H"
        name = dt.datetime.fromtimestamp(day * chunk_secs, dt.timezone.utc).strftime(fmt) + ".om"
        names.append(name)
        parts = ["# HELP http_requests Total HTTP requests by service and status code.\n",
                 "# TYPE http_requests counter\n"]
        for svc in ALL_SERVICES:
            for code in CODES:
                if svc == "ledger" and code == "404":
                    continue
                pre = f'http_requests_total{{service="{svc}",code="{code}"}} '
                vals = counters[svc][code]
                parts.extend(pre + str(vals[i]) + ts[i] for i in range(lo, hi))
        parts.append("# HELP http_request_duration_seconds HTTP request latency.\n")
        parts.append("# TYPE http_request_duration_seconds histogram\n")
        for svc in ALL_SERVICES:
            cum, sums = hists[svc]
            pres = [f'http_request_duration_seconds_bucket{{service="{svc}",le="{le}"}} ' for le in LE]
            spre = f'http_request_duration_seconds_sum{{service="{svc}"}} '
            cpre = f'http_request_duration_seconds_count{{service="{svc}"}} '
            count = cum[-1]
            for i in range(lo, hi):  # one MetricPoint per timestamp: buckets, sum, count
                t = ts[i]
                for b in range(len(LE)):
                    parts.append(pres[b] + str(cum[b][i]) + t)
                parts.append(spre + fmt_ms(sums[i]) + t)
                parts.append(cpre + str(count[i]) + t)
        parts.append("# EOF\n")
        with open(os.path.join(args.out_dir, name), "w", encoding="ascii") as f:
            f.write("".join(parts))
    return names


def ratio(num, den):
    return None if den == 0 else float(Fraction(num, den))


def burn(bad, total, objective):
    return None if total == 0 else float(Fraction(bad, total) / (1 - objective))


def alerts(windows, bad_key, total_key, objective):
    """Strict '>' with exact rational arithmetic; a window with no events never fires.

    A policy whose window is longer than the history is None (cannot be evaluated).
    """
    res = {}
    for name, long_w, short_w, factor, _ in POLICY:
        if long_w not in windows or short_w not in windows:
            res[name] = None
            continue
        fire = True
        for w in (long_w, short_w):
            b, t = windows[w][bad_key], windows[w][total_key]
            if t == 0 or not Fraction(b, t) > factor * (1 - objective):
                fire = False
        res[name] = fire
    return res


def state(windows, fired, total_key):
    if all(windows[w][total_key] == 0 for w in windows):
        return "NO DATA"
    for name, _, _, _, sev in POLICY:
        if fired[name] and sev == "PAGE":
            return "PAGE"
    for name, _, _, _, sev in POLICY:
        if fired[name] and sev == "TICKET":
            return "TICKET"
    return "OK"


def expected(args, start, n, data, files):
    end = args.end_ts
    services = {}
    for svc in ALL_SERVICES:
        d = data[svc]
        wins = {}
        for wname, wsecs in WINDOWS:
            if wsecs > args.days * 86400:
                continue
            lo = n - wsecs // args.step  # samples with t in (end-W, end]
            by_code = {c: sum(d["codes"][c][lo:]) for c in CODES}
            total = sum(by_code.values())
            bad = by_code["500"]
            lat_good = sum(d["cum"][LATENCY_IDX][lo:])
            lat_total = sum(d["cum"][-1][lo:])
            wins[wname] = {
                "window_secs": wsecs,
                "total": total, "good": total - bad, "bad": bad, "by_code": by_code,
                "error_ratio": ratio(bad, total),
                "burn_rate": burn(bad, total, AVAILABILITY_OBJECTIVE),
                "latency_total": lat_total, "latency_good": lat_good, "latency_bad": lat_total - lat_good,
                "latency_error_ratio": ratio(lat_total - lat_good, lat_total),
                "latency_burn_rate": burn(lat_total - lat_good, lat_total, LATENCY_OBJECTIVE),
            }
        fired = alerts(wins, "bad", "total", AVAILABILITY_OBJECTIVE)
        lat_fired = alerts(wins, "latency_bad", "latency_total", LATENCY_OBJECTIVE)
        if svc == "ledger":
            raw = {"http_requests_total": dict(LEDGER_CODES), "bucket": dict(zip(LE, LEDGER_CUM)),
                   "sum": fmt_ms(LEDGER_SUM_MS), "count": LEDGER_CUM[-1]}
        else:
            raw = {"http_requests_total": {c: sum(d["codes"][c]) for c in CODES},
                   "bucket": {le: sum(col) for le, col in zip(LE, d["cum"])},
                   "sum": fmt_ms(sum(d["sum_ms"])), "count": sum(d["cum"][-1])}
        if svc == "ledger":
            raw["http_requests_total"].pop("404")
        services[svc] = {
            "windows": wins,
            "availability": {"alerts": fired, "state": state(wins, fired, "total")},
            "latency": {"alerts": lat_fired, "state": state(wins, lat_fired, "latency_total")},
            "raw_at_end": raw,
        }
    return {
        "schema_version": 1,
        "generator": "opsdeck scripts/gen_openmetrics.py",
        "start": start, "end": end, "step_secs": args.step, "days": args.days,
        "samples_per_series": n,
        "services": services,
        "series": 3 * 2 + 2 + 3 * (len(LE) + 2),
        "files": files,
        "spike": {"service": "payments", "from_exclusive": end - args.spike_minutes * 60, "to": end,
                  "error_ratio": 0.05},
        "availability_objective": float(AVAILABILITY_OBJECTIVE),
        "latency_objective": float(LATENCY_OBJECTIVE),
        "latency_le": LATENCY_LE,
        "policy": [{"name": p[0], "long": p[1], "short": p[2], "factor": float(p[3]), "severity": p[4]}
                   for p in POLICY],
        "queries": {
            "total": 'sum by (service)(increase(http_requests_total[W]))',
            "bad": 'sum by (service)(increase(http_requests_total{code=~"5.."}[W]))',
            "good": 'sum by (service)(increase(http_requests_total{code!~"5.."}[W]))',
            "latency_good": 'sum by (service)(increase(http_request_duration_seconds_bucket{le="0.5"}[W]))',
            "latency_total": 'sum by (service)(increase(http_request_duration_seconds_count[W]))',
            "evaluate_at": "time=end",
        },
        "tolerance": {
            "counts_at_end_prometheus2": 0,
            "ratios_relative": 0.01,
            "why": ("At time=end, Prometheus 2.x selects [end-W, end]; a sample sits on both edges, "
                    "so increase() needs no extrapolation and returns the integers here exactly "
                    "(compare with |diff| <= 1e-9*value for float noise); ratios of two such "
                    "counts match to ~1e-15. Allow 1 % relative on ratios for robustness: a query "
                    "time off the sample grid shifts the window by < 1 step, and Prometheus 3 "
                    "windows are left-open (end-W, end] (the sample at end-W drops out and "
                    "increase() extrapolates by W/(W-step)). That changes a ratio only where the "
                    "window mixes spike and baseline: payments 2h/6h/1d/3d, measured <= 0.82 % "
                    "within +-50 s of end on 2.42. Counts move more (extrapolation across the "
                    "hour-of-day traffic steps: up to 2*step/W, i.e. 40 % for 5m), so assert "
                    "counts only at time=end. Never query at wall-clock now for windows <= 5m: "
                    "after end+5m the series are stale and the result is empty."),
        },
    }


def main(argv=None):
    args = parse_args(argv)
    start, n, data = step_counts(args)
    files = write_files(args, start, n, data)
    exp = expected(args, start, n, data, files)
    text = json.dumps(exp, indent=1, sort_keys=True) + "\n"
    if args.expected:
        with open(args.expected, "w", encoding="ascii") as f:
            f.write(text)
    else:
        sys.stderr.write(text)


if __name__ == "__main__":
    main()
