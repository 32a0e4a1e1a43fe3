"""The load benchmarks' driver (scripts/bench load, scale, mongo): starts cubby-bench, waits
for its data set, drives each scenario with wrk, measures the server from /proc and its
Prometheus /metrics, prints a table and writes a JSON report. Standard library only.

In the mongo mode it also compares the p50 of GET /v1/children/{id} on one connection with the
floor measured by the micro-benchmarks (report.py's floor(), from target/bench/micro.json next
to REPORT, when present).

Usage: load.py MODE BINARY REPORT MACHINE_FILE DURATION WARMUP [KEY=VALUE...]
  MODE     load | scale | mongo
  KEY=VALUE settings passed to the server (CUBBY_MONGODB_URI, CUBBY_REDIS_URL for mongo)
"""

import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import report as reports  # noqa: E402 (scripts/bench.d/report.py)

HERE = os.path.dirname(os.path.abspath(__file__))
TICK = os.sysconf("SC_CLK_TCK")
BASE_ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "TZ": ":UTC",
    "CUBBY_ENV": "dev",
    "CUBBY_BIND": "127.0.0.1:0",
    "CUBBY_LOG": "warn",
    "CUBBY_LOG_SAMPLE_RATE": "0.01",
    "CUBBY_METRICS_PUBLIC": "true",
    "CUBBY_RATE_LIMIT_PER_ADDRESS": "1000000",
    "CUBBY_RATE_LIMIT_PER_TENANT": "10000000",
    # As deploy/Dockerfile runs the cubby binary.
    "MIMALLOC_ARENA_EAGER_COMMIT": "0",
}
# name, script, wrk threads, connections
GETS = [
    ("GET /v1/children?limit=25", "list.lua", 2, 64),
    ("GET /v1/children/{id}", "child.lua", 2, 64),
    ("GET /v1/rooms/{id}/ratio", "ratio.lua", 2, 64),
]
CHECKIN = ("POST /v1/attendance (check-in)", "checkin.lua", 2, 64)
LOGIN = ("POST /v1/auth/login", "login.lua", 2, 8)
# One child on one connection: the latency without queueing, compared with the floor.
CHILD_ALONE = (reports.FLOOR_SCENARIO, "child.lua", 1, 1)
# mode -> list of (label, data set flags, scenarios)
PLANS = {
    "load": [("in-memory, 1,000 tenants x 100 children, 10 staff, 30 days",
              ["--tenants", "1000", "--children", "100", "--staff", "10", "--days", "30"],
              GETS + [CHECKIN, LOGIN])],
    "scale": [("in-memory, 3 tenants x %s children" % label,
               ["--tenants", "3", "--children", str(n), "--staff", "10", "--days", "0"],
               [("GET /v1/children?limit=25, 1 connection", "list.lua", 1, 1)])
              for n, label in ((1000, "1k"), (10000, "10k"), (100000, "100k"))],
    # Enough children that no child is checked in twice in a run (about 50 check-ins/s), and
    # no history: the stand-in's inserts slow down past a few thousand documents. Sign-ins
    # last: argon2's memory would raise the peak RSS of every later scenario.
    "mongo": [("MongoDB stand-in + Redis, 2 tenants x 400 children, 4 staff, no history",
               ["--tenants", "2", "--children", "400", "--staff", "4", "--days", "0"],
               GETS + [CHILD_ALONE, CHECKIN, LOGIN])],
}


def proc_cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)


def proc_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def scrape(address):
    """Counters of interest: http requests, store calls by system and by system+operation."""
    import urllib.request
    with urllib.request.urlopen("http://%s/metrics" % address, timeout=120) as r:
        text = r.read().decode()
    counts = {"http": 0.0}
    for line in text.splitlines():
        m = re.match(r'^(http_request_duration_seconds_count|store_call_duration_seconds_count)'
                     r'\{(.*)\} ([0-9.eE+-]+)$', line)
        if not m:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
        value = float(m.group(3))
        if m.group(1).startswith("http"):
            if labels.get("route") != "/metrics":
                counts["http"] += value
                key = "status:" + labels.get("status", "?")
                counts[key] = counts.get(key, 0.0) + value
        else:
            for key in ("store:" + labels.get("system", "?"),
                        "op:%s %s" % (labels.get("system", "?"), labels.get("operation", "?"))):
                counts[key] = counts.get(key, 0.0) + value
    return counts


def settle(address, limit=30.0):
    """Waits until the server has answered what a wrk run left in flight (wrk stops without
    waiting for its connections' last requests: with 64 connections and latencies of seconds,
    64 requests would otherwise be served, and counted, in the next measured run)."""
    deadline = time.monotonic() + limit
    served = scrape(address)["http"]
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = scrape(address)["http"]
        if now == served:
            return
        served = now


def wrk(address, script, threads, connections, seconds, fixture, phase, run):
    command = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds,
               "--timeout", "10s", "-s", os.path.join(HERE, script),
               "http://%s" % address, "--", fixture, phase, str(threads), run]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("BENCH-JSON "):
            return json.loads(line[len("BENCH-JSON "):])
    sys.exit("wrk printed no result:\n" + out)


def start(binary, flags, settings, log):
    fixture = tempfile.mkdtemp(prefix="cubby-bench-load-")
    env = dict(BASE_ENV)
    env.update(settings)
    process = subprocess.Popen([binary, "--out", fixture] + flags, env=env, cwd=fixture,
                               stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    started = time.monotonic()
    while not os.path.exists(os.path.join(fixture, "address")):
        if process.poll() is not None:
            sys.exit("cubby-bench stopped (exit %s); its output is in %s" % (process.returncode, log.name))
        time.sleep(0.2)
    with open(os.path.join(fixture, "address")) as f:
        address = f.read().strip()
    with open(os.path.join(fixture, "summary.json")) as f:
        summary = json.load(f)
    summary["ready_seconds"] = round(time.monotonic() - started, 1)
    summary["rss_after_seed_mb"] = round(proc_kb(process.pid, "VmRSS") / 1024, 1)
    summary["peak_rss_seeding_mb"] = round(proc_kb(process.pid, "VmHWM") / 1024, 1)
    # The peak reported with the scenarios is the load's, not the seeding's: writing 5 to
    # clear_refs resets VmHWM to the current RSS (Linux 4.0+).
    with open("/proc/%d/clear_refs" % process.pid, "w") as f:
        f.write("5")
    return process, fixture, address, summary


def scenario(process, address, fixture, spec, duration, warmup, run):
    name, script, threads, connections = spec
    if warmup:
        wrk(address, script, threads, connections, warmup, fixture, "warm", run)
    settle(address)
    before_metrics = scrape(address)
    before_cpu = proc_cpu_ticks(process.pid)
    result = wrk(address, script, threads, connections, duration, fixture, "measure", run)
    cpu = proc_cpu_ticks(process.pid) - before_cpu
    # The requests still in flight when wrk stopped have made some of their store calls: the
    # counts are read once they are answered, so that calls and requests match.
    settle(address)
    after_metrics = scrape(address)
    served = after_metrics["http"] - before_metrics["http"]
    per_request, statuses = {}, {}
    for key, value in after_metrics.items():
        delta = value - before_metrics.get(key, 0.0)
        if key.startswith("status:"):
            if delta > 0:
                statuses[key[7:]] = int(delta)
        elif key != "http" and delta > 0 and served > 0:
            per_request[key] = round(delta / served, 3)
    return {
        "scenario": name, "threads": threads, "connections": connections,
        "seconds": result["seconds"], "requests": result["requests"], "rps": result["rps"],
        "p50_ms": result["p50_us"] / 1000, "p99_ms": result["p99_us"] / 1000,
        "p999_ms": result["p999_us"] / 1000, "max_ms": result["max_us"] / 1000,
        "errors": result["errors"],
        "server_cpu_us_per_request": round(cpu * 1e6 / TICK / max(result["requests"], 1), 1),
        "server_cpu_cores": round(cpu / TICK / result["seconds"], 2),
        "rss_mb": round(proc_kb(process.pid, "VmRSS") / 1024, 1),
        "peak_rss_mb": round(proc_kb(process.pid, "VmHWM") / 1024, 1),
        "requests_counted_by_server": served,
        "statuses_counted_by_server": statuses,
        "store_calls_per_request": per_request,
    }


def table(rows):
    head = ("data set", "scenario", "conns", "req/s", "p50 ms", "p99 ms", "p99.9 ms",
            "CPU µs/req", "peak RSS MB", "statuses", "store calls/req")
    lines = [head]
    for data_set, r in rows:
        stores = ", ".join("%s %.2f" % (k[6:], v) for k, v in sorted(r["store_calls_per_request"].items())
                           if k.startswith("store:"))
        lines.append((data_set, r["scenario"], str(r["connections"]), "%.0f" % r["rps"],
                      "%.2f" % r["p50_ms"], "%.2f" % r["p99_ms"], "%.2f" % r["p999_ms"],
                      "%.1f" % r["server_cpu_us_per_request"], "%.1f" % r["peak_rss_mb"],
                      " ".join("%s:%d" % kv for kv in sorted(r["statuses_counted_by_server"].items())),
                      stores or "-"))
    widths = [max(len(row[i]) for row in lines) for i in range(len(head))]
    for n, row in enumerate(lines):
        print("| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(row)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def main():
    mode, binary, report, machine_file, duration, warmup = sys.argv[1:7]
    settings = dict(arg.split("=", 1) for arg in sys.argv[7:])
    duration, warmup = int(duration), int(warmup)
    run = "".join(secrets.choice("0123456789abcdefghjkmnpqrstvwxyz") for _ in range(8))
    log_path = os.path.join(os.path.dirname(report), "%s-server.log" % mode)
    os.makedirs(os.path.dirname(report), exist_ok=True)
    results, rows = [], []
    machine = reports.read_machine(machine_file)
    machine["load before"] = reports.load_average()
    with open(log_path, "w") as log:
        for label, flags, scenarios in PLANS[mode]:
            print("==> %s: seeding (server output: %s)" % (label, log_path), flush=True)
            process, fixture, address, summary = start(binary, flags, settings, log)
            print("    ready in %.1f s, RSS %.0f MB: %s" % (summary["ready_seconds"], summary["rss_after_seed_mb"],
                  json.dumps(summary)), flush=True)
            measured = []
            try:
                for spec in scenarios:
                    print("    %s: %d s warm-up, %d s measured" % (spec[0], warmup, duration), flush=True)
                    row = scenario(process, address, fixture, spec, duration, warmup, run)
                    measured.append(row)
                    rows.append((label, row))
            finally:
                process.terminate()
                process.wait()
                subprocess.run(["rm", "-rf", fixture], check=False)
            results.append({"data_set": label, "flags": flags, "summary": summary, "scenarios": measured})
    machine["load after"] = reports.load_average()
    data = {"mode": mode, "machine": machine, "duration_seconds": duration,
            "warmup_seconds": warmup, "load_generator": "wrk 4.1.0 on the same machine",
            "results": results}
    if mode == "mongo":
        data["floor"] = reports.floor(os.path.join(os.path.dirname(report), "micro.json"),
                                      [row for _, row in rows])
    reports.write_json(report, data)
    print()
    table(rows)
    if "floor" in data:
        print()
        print(reports.floor_lines(data["floor"]))
    print("\nwritten: %s (store calls per request by operation are there)" % report)


if __name__ == "__main__":
    main()
