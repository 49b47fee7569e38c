#!/usr/bin/env python3
"""The store's work for one filter keystroke on the bugs tab, before and after session 14.

Before: a count pass, then a window pass, each matching labels through `json_each`.
After: one window pass (a filter fewer rows pass than a window holds is read whole), labels
matched on their stored JSON text. Runs the two SQL shapes over a bench cache (made by
`scripts/bench_floor.py`), best of 3 each, for words few or no bugs have.

usage: python3 scripts/bench_filter_sql.py /tmp/opsdeck-bench/opsdeck-1000000/cache.sqlite3
"""
import sqlite3
import sys
import time

HAY = ("(t.key LIKE ?1 ESCAPE '\\' OR t.title LIKE ?1 ESCAPE '\\' OR t.priority LIKE ?1 "
       "ESCAPE '\\' OR t.status LIKE ?1 ESCAPE '\\' OR coalesce(t.assignee,'') LIKE ?1 "
       "ESCAPE '\\' OR ")
EACH = "(SELECT coalesce(group_concat(j.value, ' '), '') FROM json_each(t.labels) j) LIKE ?1 ESCAPE '\\')"
RAW = "t.labels LIKE ?1 ESCAPE '\\')"
ORDER = " ORDER BY t.status = 'closed', t.priority, t.updated_at DESC, t.id LIMIT 241 OFFSET 0"


def best_ms(c, sql, word):
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        c.execute(sql, (word,)).fetchall()
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def main():
    c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
    bugs = c.execute("SELECT count(*) FROM bugs").fetchone()[0]
    print(f"{bugs} bugs; SQLite {sqlite3.sqlite_version}")
    for w in ["%zzq%", "%granite%", "%#100777%"]:
        old = best_ms(c, "SELECT count(*) FROM bugs t WHERE " + HAY + EACH, w) + best_ms(
            c, "SELECT t.id FROM bugs t WHERE " + HAY + EACH + ORDER, w)
        new = best_ms(c, "SELECT t.id FROM bugs t WHERE " + HAY + RAW + ORDER, w)
        print(f"{w:12} before (count + window, json_each) {old:7.0f} ms   after (one window) {new:7.0f} ms   {old / new:.1f}x")


if __name__ == "__main__":
    main()
