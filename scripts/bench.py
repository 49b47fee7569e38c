#!/usr/bin/env python3
"""bench.py — measure opsdeck in a real pseudo-terminal, as PERFORMANCE.md describes.

Spawns the binary in a pty of fixed size over a prepared cache, feeds its output to a VT screen
model (pyte), and measures:
  * process start -> first complete frame (a marker row is on the emulated screen)
  * key -> frame for `j`/`k` (move) and for typing a filter, p50/p99, and bytes per key
  * peak RSS (VmHWM of the process just before it quits)

Usage: scripts/bench.py --binary target/release/opsdeck --data DIR [--runs 30] [--keys 200]
DIR must hold cache.sqlite3 (examples/bench_cache.rs builds one). Loops are bounded; every
process is stopped at the end. Talks to nothing but the pty.
"""
import argparse, fcntl, json, os, pty, select, signal, statistics, struct, sys, tempfile, termios, time

try:
    import pyte
except ImportError:  # the README's bench command installs it; say so loudly otherwise
    sys.exit("bench.py needs pyte (pip install pyte)")

COLS, ROWS = 120, 40


def spawn(binary, env):
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(binary, [binary], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    return pid, fd


def read_until(fd, screen, stream, pred, timeout_s):
    """Reads until pred(screen) holds; returns (time of the read that made it true, bytes)."""
    deadline = time.monotonic() + timeout_s
    total = 0
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        t = time.monotonic()
        total += len(data)
        stream.feed(data)
        if pred(screen):
            return t, total
    raise TimeoutError("marker never appeared")


def answer(fd, stream, quiet_s=0.03, timeout_s=2.0):
    """Reads an answer: until no byte arrives for quiet_s. Returns (time of last byte, bytes)."""
    last = None
    total = 0
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], quiet_s if last else timeout_s)
        if not r:
            break
        data = os.read(fd, 65536)
        last = time.monotonic()
        total += len(data)
        stream.feed(data)
    return last, total


def text(screen):
    return "\n".join(screen.display)


def vmhwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def stop(pid, fd):
    try:
        os.write(fd, b"q")
        for _ in range(100):
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            answer(fd, pyte.ByteStream(pyte.Screen(COLS, ROWS)), 0.01, 0.05)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except (OSError, ChildProcessError):
        pass
    os.close(fd)


def pct(values, p):
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--keys", type=int, default=200)
    ap.add_argument("--marker", default="PB000000")
    args = ap.parse_args()
    cfg = tempfile.mkdtemp(prefix="opsdeck-bench-cfg-")
    with open(os.path.join(cfg, "config.toml"), "w") as f:
        f.write('[general]\nactor = "bench"\n')
    env = dict(os.environ, TERM="xterm-256color", OPSDECK_CONFIG_DIR=cfg, OPSDECK_DATA_DIR=args.data, NO_COLOR="")
    marker = args.marker

    starts = []
    for _ in range(args.runs):
        screen = pyte.Screen(COLS, ROWS)
        stream = pyte.ByteStream(screen)
        t0 = time.monotonic()
        pid, fd = spawn(args.binary, env)
        t, _ = read_until(fd, screen, stream, lambda s: marker in text(s), 10)
        starts.append((t - t0) * 1000)
        answer(fd, stream, 0.05, 0.5)
        stop(pid, fd)

    screen = pyte.Screen(COLS, ROWS)
    stream = pyte.ByteStream(screen)
    pid, fd = spawn(args.binary, env)
    read_until(fd, screen, stream, lambda s: marker in text(s), 10)
    answer(fd, stream, 0.2, 2.0)  # let the full load land
    move, move_bytes = [], []
    for i in range(args.keys):
        key = b"j" if (i // 20) % 2 == 0 else b"k"
        t0 = time.monotonic()
        os.write(fd, key)
        t, n = answer(fd, stream)
        if t:
            move.append((t - t0) * 1000)
            move_bytes.append(n)
    # Bugs tab (the largest), then type a filter one key at a time.
    os.write(fd, b"2")
    answer(fd, stream, 0.3, 3.0)
    os.write(fd, b"/")
    answer(fd, stream)
    typing, typing_bytes = [], []
    word = b"latency checkout"
    for _ in range(max(1, args.keys // 40)):
        for ch in word:
            t0 = time.monotonic()
            os.write(fd, bytes([ch]))
            t, n = answer(fd, stream)
            if t:
                typing.append((t - t0) * 1000)
                typing_bytes.append(n)
        for _ in word:
            os.write(fd, b"\x7f")
            answer(fd, stream)
    rss = vmhwm_kib(pid)
    os.write(fd, b"\x1b")
    answer(fd, stream)
    stop(pid, fd)

    out = {
        "machine": f"{os.cpu_count()} cores, {os.uname().sysname} {os.uname().release}",
        "terminal": f"{COLS}x{ROWS}",
        "start_to_first_frame_ms": {"median": round(statistics.median(starts), 1), "p99": round(pct(starts, 99), 1), "runs": len(starts)},
        "key_move_ms": {"p50": round(pct(move, 50), 2), "p99": round(pct(move, 99), 2), "keys": len(move), "bytes_median": int(statistics.median(move_bytes))},
        "key_filter_ms": {"p50": round(pct(typing, 50), 2), "p99": round(pct(typing, 99), 2), "keys": len(typing), "bytes_median": int(statistics.median(typing_bytes))},
        "peak_rss_mib": round(rss / 1024, 1),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
