#!/usr/bin/env python3
"""bench_floor.py — opsdeck against the performance floor, interleaved in one run.

PERFORMANCE.md sets opsdeck's speed goals as ratios to a floor program (a bare ratatui table
over a 100k-row SQLite cache, `../shared/perf/limit`), measured side by side because absolute
times on a shared 2-core machine move from run to run. This script:

  1. builds the floor (in a copy under --work, never inside the shared folder) and opsdeck's
     release binary and `bench_cache` example, and generates the caches (the floor's 100k rows;
     opsdeck's 100k and 1M rows, spread over the tabs);
  2. runs `ptytime.py` (the shared pty harness with the pyte screen model) for the floor and for
     opsdeck at each size in --batches interleaved batches of --runs runs each, with the same
     --size, keys and --quiet-ms:
       start   spawn -> first row (marker) on screen, warm page cache, then j*150,k*50
       cold    the same with the database and binary evicted from the page cache first
       scroll  ctrl-d*20,ctrl-u*20 (the floor, which has no half-page key: j past the view)
       tabs    (opsdeck) 2,3 ten times: switches between the bugs and incidents tabs
       filter  (opsdeck) 2, /, then "latency checkout" typed key by key
       visit   (opsdeck) 1..6: peak RSS after visiting all six tabs
       idle    (both) bytes written during --idle-s seconds with no key and nothing changing
  3. prints, and writes as Markdown to --out, one row per figure: floor, opsdeck, ratio (the
     median of the per-batch ratios), goal, met or not; plus the machine and its load average.

Every process is bounded (ptytime's timeouts, a quit key, SIGKILL as a last resort) and talks
only to its pty. Requires pyte (`pip install pyte`).

Usage:
  python3 scripts/bench_floor.py [--floor ../shared/perf] [--work /tmp/opsdeck-bench]
      [--rows 100000 --rows 1000000] [--batches 4] [--runs 5] [--idle-s 65] [--out FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import fcntl
import termios

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLOOR_MARKER = r"OPS-\d+"
OPSDECK_MARKER = r"PB0+\d"  # the first incident row of bench_cache (the start tab)
# One status-bar clock update (HH:MM changes once a minute): cursor move + a few cells.
IDLE_CLOCK_BYTES = 64


def sh(cmd: list[str], cwd: str | None = None) -> None:
    print("+", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, cwd=cwd, check=True)


def prepare(args) -> dict:
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    floor_src = os.path.abspath(args.floor)
    floor = os.path.join(work, "floor")
    if not os.path.exists(os.path.join(floor, "limit", "Cargo.toml")):
        shutil.copytree(floor_src, floor, dirs_exist_ok=True)
        for dirpath, dirnames, filenames in os.walk(floor):
            for n in dirnames + filenames:
                p = os.path.join(dirpath, n)
                os.chmod(p, os.stat(p).st_mode | 0o200)
    if not args.no_build:
        sh(["cargo", "build", "--release", "--quiet"], cwd=os.path.join(floor, "limit"))
        sh(["cargo", "build", "--release", "--quiet", "--bin", "opsdeck", "--example", "bench_cache"], cwd=ROOT)
    limit = os.path.join(floor, "limit", "target", "release", "limit")
    limit_db = os.path.join(work, "limit-100k.db")
    if not os.path.exists(limit_db):
        sh([limit, "--gen", limit_db, "--rows", "100000"])
    opsdeck = os.path.join(ROOT, "target", "release", "opsdeck")
    caches = {}
    for rows in args.rows:
        d = os.path.join(work, f"opsdeck-{rows}")
        db = os.path.join(d, "cache.sqlite3")
        if not os.path.exists(db):
            os.makedirs(d, exist_ok=True)
            t0 = time.monotonic()
            sh([os.path.join(ROOT, "target", "release", "examples", "bench_cache"), db, str(rows)])
            print(f"bench_cache {rows}: {time.monotonic() - t0:.1f} s", file=sys.stderr)
        caches[rows] = d
    cfg = os.path.join(work, "config")
    os.makedirs(cfg, exist_ok=True)
    with open(os.path.join(cfg, "config.toml"), "w") as f:
        f.write('[general]\nactor = "bench"\n')
    return {"work": work, "floor": floor, "limit": limit, "limit_db": limit_db,
            "opsdeck": opsdeck, "caches": caches, "cfg": cfg,
            "ptytime": os.path.join(floor, "ptytime.py")}


# The RSS visit waits this long after each tab key for the screen to go quiet: a windowed tab's
# rows, counts and derived figures arrive from the store thread after the key's first frame,
# and a 30 ms quiet would move on (and read a lower peak) before the tab had loaded. At 1M rows
# the checklist tab takes ~0.6 s to load, so 500 ms could stop before it: 2 s is past every tab.
VISIT_QUIET_MS = 2000.0
# Tab switches and filter keystrokes are timed to the LAST byte of their answer: the tab's window
# or the filtered rows come from the store thread after the first frame (the prompt's echo), so
# a 30 ms quiet would stop the clock at the echo. With 300 ms the result frame is included
# (frame_ms is key -> last byte, so the longer wait does not inflate it).
LOAD_QUIET_MS = 300.0


def ptytime(ctx, args, label: str, cmd: list[str], keys: str, marker: str, env: dict,
            evict: list[str] | None = None, quiet_ms: float | None = None) -> list[dict]:
    """Runs ptytime.py; returns the per-run records. `quiet_ms` overrides --quiet-ms (the
    silence that ends a key's frame) for runs that must let background loads finish."""
    jsonl = tempfile.NamedTemporaryFile(prefix="ptytime-", suffix=".jsonl", delete=False).name
    argv = [sys.executable, ctx["ptytime"], "--runs", str(args.runs), "--size", args.size,
            "--marker", marker, "--quiet-ms", str(quiet_ms or args.quiet_ms), "--quit-key", "q",
            "--label", label, "--jsonl", jsonl, "--timeout", "20"]
    if keys:
        argv += ["--keys", keys]
    for k, v in env.items():
        argv += ["--env", f"{k}={v}"]
    for p in evict or []:
        argv += ["--evict", p]
    argv += ["--", *cmd]
    subprocess.run(argv, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=600)
    with open(jsonl) as f:
        recs = [json.loads(line) for line in f if line.strip()]
    os.unlink(jsonl)
    bad = [r.get("error") for r in recs if "error" in r]
    if bad:
        print(f"  {label}: {len(bad)} failed runs: {bad[:2]}", file=sys.stderr)
    return [r for r in recs if "error" not in r]


def pct(values: list[float], p: float) -> float | None:
    v = sorted(x for x in values if x is not None)
    if not v:
        return None
    k = (len(v) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def key_frames(recs: list[dict], names: set[str] | None = None, skip: int = 0) -> list[float]:
    out = []
    for r in recs:
        for k in r.get("keys", [])[skip:]:
            if (names is None or k["key"] in names) and k["frame_ms"] is not None:
                out.append(k["frame_ms"])
    return out


def key_bytes(recs: list[dict], names: set[str], skip: int = 0) -> list[float]:
    return [k["bytes"] for r in recs for k in r.get("keys", [])[skip:] if k["key"] in names]


def idle_bytes(cmd: list[str], env: dict, marker_re: str, size: str, seconds: float) -> int:
    """Bytes the program writes during `seconds` of idleness after its first frame settled."""
    import re
    import pyte
    cols, rows = (int(x) for x in size.split("x"))
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(cmd[0], cmd, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    screen = pyte.Screen(cols, rows)
    stream = pyte.ByteStream(screen)
    pattern = re.compile(marker_re)
    deadline = time.monotonic() + 20
    seen = False
    try:
        while time.monotonic() < deadline and not seen:
            r, _, _ = select.select([fd], [], [], 0.5)
            if r:
                stream.feed(os.read(fd, 65536))
                seen = bool(pattern.search("\n".join(screen.display)))
        if not seen:
            return -1
        # Settle: 2 s of reading whatever the start-up still draws.
        settle_end = time.monotonic() + 2
        while time.monotonic() < settle_end:
            r, _, _ = select.select([fd], [], [], 0.1)
            if r:
                os.read(fd, 65536)
        total = 0
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            r, _, _ = select.select([fd], [], [], max(0.0, min(0.5, end - time.monotonic())))
            if r:
                total += len(os.read(fd, 65536))
        return total
    finally:
        try:
            os.write(fd, b"q")
            for _ in range(50):
                if os.waitpid(pid, os.WNOHANG)[0]:
                    break
                time.sleep(0.02)
            else:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        except (OSError, ChildProcessError):
            pass
        os.close(fd)


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--floor", default=os.path.join(ROOT, "..", "shared", "perf"))
    ap.add_argument("--work", default="/tmp/opsdeck-bench")
    ap.add_argument("--rows", type=int, action="append")
    ap.add_argument("--batches", type=int, default=4)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--size", default="120x40")
    ap.add_argument("--quiet-ms", type=float, default=30.0)
    ap.add_argument("--idle-s", type=float, default=65.0)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, "target", "bench-floor.md"))
    args = ap.parse_args()
    args.rows = args.rows or [100_000, 1_000_000]
    try:
        import pyte  # noqa: F401
    except ImportError:
        sys.exit("bench_floor.py needs pyte: pip install pyte")

    ctx = prepare(args)
    floor_cmd = [ctx["limit"], ctx["limit_db"]]
    base_env = {"NO_COLOR": ""}
    load_before = os.getloadavg()
    # results[(program, figure)] = list of per-batch values
    res: dict[tuple[str, str], list] = {}

    def put(prog, fig, value):
        res.setdefault((prog, fig), []).append(value)

    for batch in range(args.batches):
        print(f"== batch {batch + 1}/{args.batches}", file=sys.stderr)
        recs = ptytime(ctx, args, "floor", floor_cmd, "j*150,k*50", FLOOR_MARKER, base_env)
        put("floor", "start_ms", med([r["marker_ms"] for r in recs]))
        put("floor", "jk_p50", pct(key_frames(recs), 50))
        put("floor", "jk_p99", pct(key_frames(recs), 99))
        put("floor", "jk_bytes", med(key_bytes(recs, {"j", "k"})))
        put("floor", "rss_kib", med([r.get("peak_rss_kb") or r.get("rss_hwm_kb") for r in recs]))
        recs = ptytime(ctx, args, "floor-cold", floor_cmd, "", FLOOR_MARKER, base_env,
                       evict=[ctx["limit_db"], ctx["limit"]])
        put("floor", "cold_ms", med([r["marker_ms"] for r in recs]))
        # The floor has no half-page key: its scroll is `j` past the last visible row (the view
        # moves one row per key), which is what the product owners compared ctrl-d with.
        recs = ptytime(ctx, args, "floor-scroll", floor_cmd, "j*80", FLOOR_MARKER, base_env)
        put("floor", "scroll_p50", pct(key_frames(recs, skip=40), 50))
        put("floor", "scroll_p99", pct(key_frames(recs, skip=40), 99))
        put("floor", "scroll_bytes", med(key_bytes(recs, {"j"}, skip=40)))
        for rows, data in ctx["caches"].items():
            p = f"opsdeck-{rows}"
            env = dict(base_env, OPSDECK_CONFIG_DIR=ctx["cfg"], OPSDECK_DATA_DIR=data)
            cmd = [ctx["opsdeck"]]
            db = os.path.join(data, "cache.sqlite3")
            recs = ptytime(ctx, args, p, cmd, "j*150,k*50", OPSDECK_MARKER, env)
            put(p, "start_ms", med([r["marker_ms"] for r in recs]))
            put(p, "jk_p50", pct(key_frames(recs), 50))
            put(p, "jk_p99", pct(key_frames(recs), 99))
            put(p, "jk_bytes", med(key_bytes(recs, {"j", "k"})))
            put(p, "rss_start_kib", med([r.get("peak_rss_kb") or r.get("rss_hwm_kb") for r in recs]))
            recs = ptytime(ctx, args, p + "-cold", cmd, "", OPSDECK_MARKER, env,
                           evict=[db, ctx["opsdeck"]])
            put(p, "cold_ms", med([r["marker_ms"] for r in recs]))
            recs = ptytime(ctx, args, p + "-scroll", cmd, "ctrl-d*20,ctrl-u*20", OPSDECK_MARKER, env)
            put(p, "scroll_p50", pct(key_frames(recs), 50))
            put(p, "scroll_p99", pct(key_frames(recs), 99))
            put(p, "scroll_bytes", med(key_bytes(recs, {"ctrl-d", "ctrl-u"})))
            recs = ptytime(ctx, args, p + "-tabs", cmd, ",".join(["2,3"] * 10), OPSDECK_MARKER, env,
                           quiet_ms=LOAD_QUIET_MS)
            put(p, "tab_p50", pct(key_frames(recs), 50))
            put(p, "tab_p99", pct(key_frames(recs), 99))
            typed = "l,a,t,e,n,c,y,space,c,h,e,c,k,o,u,t"
            recs = ptytime(ctx, args, p + "-filter", cmd, "2,/," + typed, OPSDECK_MARKER, env,
                           quiet_ms=LOAD_QUIET_MS)
            put(p, "filter_p50", pct(key_frames(recs, skip=2), 50))
            put(p, "filter_p99", pct(key_frames(recs, skip=2), 99))
            recs = ptytime(ctx, args, p + "-visit", cmd, "1,2,3,4,5,6", OPSDECK_MARKER, env,
                           quiet_ms=VISIT_QUIET_MS)
            put(p, "rss_kib", med([r.get("peak_rss_kb") or r.get("rss_hwm_kb") for r in recs]))
        if batch == 0:
            # Idle output is a property, not a timing: measured once per program.
            put("floor", "idle_bytes_per_min",
                idle_bytes(floor_cmd, dict(os.environ, TERM="xterm-256color"), FLOOR_MARKER,
                           args.size, args.idle_s) * 60 / args.idle_s)
            for rows, data in ctx["caches"].items():
                env = dict(os.environ, TERM="xterm-256color", NO_COLOR="",
                           OPSDECK_CONFIG_DIR=ctx["cfg"], OPSDECK_DATA_DIR=data)
                put(f"opsdeck-{rows}", "idle_bytes_per_min",
                    idle_bytes([ctx["opsdeck"]], env, OPSDECK_MARKER, args.size, args.idle_s)
                    * 60 / args.idle_s)

    load_after = os.getloadavg()
    out = render(args, ctx, res, load_before, load_after)
    print(out)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(out)
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump({f"{p}|{k}": v for (p, k), v in res.items()}, f, indent=1)
    return 0


def render(args, ctx, res, load_before, load_after) -> str:
    def m(prog, fig):
        return med(res.get((prog, fig), []))

    def ratio(prog, fig, base="floor", base_fig=None):
        a = res.get((prog, fig), [])
        b = res.get((base, base_fig or fig), [])
        per = [x / y for x, y in zip(a, b) if x is not None and y]
        return med(per)

    def f(v, unit=""):
        if v is None:
            return "—"
        if unit == "MiB":
            return f"{v / 1024:.1f} MiB"
        if unit == "B":
            return f"{v:,.0f} B"
        return f"{v:.2f} ms"

    def verdict(ok):
        return "—" if ok is None else ("**met**" if ok else "not met")

    lines = []
    u = os.uname()
    lines.append(f"Machine: {os.cpu_count()} cores, {u.sysname} {u.release} ({u.machine}); "
                 f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; "
                 f"{args.batches} interleaved batches × {args.runs} runs, {args.size}, "
                 f"--quiet-ms {args.quiet_ms:g}, pyte screen model.\n")
    small = f"opsdeck-{args.rows[0]}"
    for rows in args.rows:
        p = f"opsdeck-{rows}"
        lines.append(f"\n### opsdeck over {rows:,} cached rows vs the floor (100,000 rows)\n")
        lines.append("| figure | floor | opsdeck | ratio | goal | verdict |")
        lines.append("|---|---:|---:|---:|---|---|")

        def row(name, fig, unit, goal, ok, base_fig=None, floor_value=None):
            fv = floor_value if floor_value is not None else m("floor", base_fig or fig)
            r = ratio(p, fig, base_fig=base_fig) if fv is not None else None
            lines.append(f"| {name} | {f(fv, unit) if fv is not None else '—'} | {f(m(p, fig), unit)} | "
                         f"{'—' if r is None else f'{r:.2f}×'} | {goal} | {verdict(ok)} |")

        r_start = ratio(p, "start_ms")
        row("spawn → first row, warm (median)", "start_ms", "", "≤ 2× floor",
            None if r_start is None else r_start <= 2)
        r_cold = ratio(p, "cold_ms")
        row("spawn → first row, cold (median)", "cold_ms", "", "≤ 2× floor",
            None if r_cold is None else r_cold <= 2)
        r = ratio(p, "jk_p50")
        row("`j`/`k` key → frame p50", "jk_p50", "", "≤ 1.5× floor", None if r is None else r <= 1.5)
        v = m(p, "jk_p99")
        row("`j`/`k` key → frame p99", "jk_p99", "", "≤ 3 ms (quiet machine)", None if v is None else v <= 3)
        r = ratio(p, "scroll_p50")
        row("`ctrl-d`/`ctrl-u` key → frame p50", "scroll_p50", "", "≤ 1.5× floor", None if r is None else r <= 1.5)
        row("`ctrl-d`/`ctrl-u` key → frame p99", "scroll_p99", "", "—", None)
        v = m(p, "tab_p99")
        lines.append(f"| tab switch bugs ↔ incidents p50 / p99 | — | {f(m(p, 'tab_p50'))} / {f(v)} | — | p99 ≤ 16 ms | {verdict(None if v is None else v <= 16)} |")
        v = m(p, "filter_p99")
        lines.append(f"| filter keystroke over the bugs tab p50 / p99 | — | {f(m(p, 'filter_p50'))} / {f(v)} | — | p99 ≤ 16 ms | {verdict(None if v is None else v <= 16)} |")
        v = m(p, "rss_kib")
        row("peak RSS after visiting all six tabs", "rss_kib", "MiB", "≤ 30 MiB",
            None if v is None else v <= 30 * 1024)
        r = ratio(p, "jk_bytes")
        row("bytes per `j`/`k` (median)", "jk_bytes", "B", "≤ floor", None if r is None else r <= 1)
        r = ratio(p, "scroll_bytes")
        row("bytes per `ctrl-d`/`ctrl-u` (median)", "scroll_bytes", "B", "≤ floor", None if r is None else r <= 1)
        v = m(p, "idle_bytes_per_min")
        # opsdeck's status bar shows the time to the minute: one small update a minute is the
        # "something visible changed" the goal allows; more means idle redraws.
        lines.append(f"| idle: bytes written per minute | {f(m('floor', 'idle_bytes_per_min'), 'B')} | {f(v, 'B')} | — | 0 unless something visible changed (≤ 1 clock update, ≤ {IDLE_CLOCK_BYTES} B) | {verdict(None if v is None else v <= IDLE_CLOCK_BYTES)} |")
        if p != small:
            lines.append(f"\nScale ({rows:,} vs {args.rows[0]:,} rows, goal ≤ 1.2×):\n")
            for name, fig in (("first row, warm", "start_ms"), ("`j`/`k` p50", "jk_p50"),
                              ("peak RSS after six tabs", "rss_kib")):
                a, b = m(p, fig), m(small, fig)
                if a is not None and b:
                    lines.append(f"- {name}: {a / b:.2f}× ({'met' if a / b <= 1.2 else 'not met'})")
    lines.append("\nPer-batch values (floor / opsdeck at each size), to see the spread:\n")
    lines.append("```")
    for (prog, fig), values in sorted(res.items()):
        shown = ", ".join("—" if v is None else f"{v:.2f}" for v in values)
        lines.append(f"{prog:16} {fig:20} {shown}")
    lines.append("```")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
