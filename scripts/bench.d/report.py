"""The benchmarks' reports (scripts/bench): the micro-benchmarks' JSON from criterion's
estimates, the floor a request is compared with, the combined report of `scripts/bench all`,
and the generated blocks of docs/benchmarks.md. Standard library only.

Usage:
  report.py micro ROOT STAMP OUT MACHINE_FILE SECONDS
      reads the criterion estimates under ROOT written after the file STAMP, prints a table and
      writes the JSON report OUT (with the machine lines of MACHINE_FILE)
  report.py docs MODE JSON DOC
      renders the block of MODE (micro, load, scale, mongo, goals) from the JSON report and
      replaces what lies between `<!-- bench:MODE -->` and `<!-- /bench:MODE -->` in DOC;
      everything else in DOC is left as it is
  report.py all OUT STAMP MACHINE_FILE MICRO LOAD SCALE MONGO
      combines the four reports (each must have been written after STAMP) and the goals they
      measure into OUT

load.py imports floor() from here.
"""

import json
import os
import sys
import tempfile
import textwrap

# The floor under GET /v1/children/{id} on MongoDB + Redis: what the request cannot avoid.
# cubby-bench runs CUBBY_ENV=dev without CUBBY_JWT_KEYS, which signs with a random HS256 key.
FLOOR_PARTS = (
    ("api/token/verify_hs256_in_memory",
     "access-token verification, HS256 as cubby-bench signs in dev (with its blocklist, "
     "tenant, membership and permission reads on the in-memory adapters, no Redis)"),
    ("floor/redis/ping_round_trip", "one Redis round trip (`PING`)"),
    ("floor/mongo/find_one_by_indexed_key",
     "one MongoDB `find_one` by an indexed key (`{tenant_id, _id}`)"),
)
FLOOR_SCENARIO = "GET /v1/children/{id}, 1 connection"
FLOOR_GOAL = 1.3


def load_average():
    with open("/proc/loadavg", encoding="utf-8") as f:
        return " ".join(f.read().split()[:3])


def read_machine(path):
    """The `key: value` lines scripts/bench wrote (date, cpu, memory, kernel, rustc, commit,
    command, load before)."""
    with open(path, encoding="utf-8") as f:
        pairs = (line.split(":", 1) for line in f if ":" in line)
        return {k.strip(): v.strip() for k, v in pairs}


def shown(ns):
    """A duration in nanoseconds, in the unit that suits it, 3 significant digits."""
    for unit, size in (("s", 1e9), ("ms", 1e6), ("µs", 1e3), ("ns", 1.0)):
        if ns >= size:
            return "%.3g %s" % (ns / size, unit)
    return "%.3g ps" % (ns * 1e3)


def table(head, rows, pad=True):
    """A Markdown table, its columns padded for the console, or not (docs/benchmarks.md)."""
    lines = [tuple(head)] + [tuple(row) for row in rows]
    widths = [max(len(row[i]) for row in lines) if pad else 0 for i in range(len(head))]
    out = []
    for n, row in enumerate(lines):
        out.append("| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |")
        if n == 0:
            out.append("|" + "|".join("-" * max(w + 2, 3) for w in widths) + "|")
    return "\n".join(out)


def paragraph(text):
    """Prose wrapped as docs/benchmarks.md wraps it, never inside a `code span`."""
    parts = text.split("`")
    kept = "`".join(p.replace(" ", "\0") if i % 2 else p for i, p in enumerate(parts))
    wrapped = textwrap.fill(kept, width=96, break_long_words=False, break_on_hyphens=False)
    return wrapped.replace("\0", " ")


def write_json(path, data):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, ensure_ascii=False)
        f.write("\n")


# --- micro ---------------------------------------------------------------------------------

def micro(root, stamp, out, machine_file, seconds):
    since = os.stat(stamp).st_mtime
    rows = []
    for directory, _, files in os.walk(root):
        if os.path.basename(directory) != "new" or "estimates.json" not in files:
            continue
        estimates = os.path.join(directory, "estimates.json")
        if os.stat(estimates).st_mtime < since:
            continue  # an earlier run
        with open(os.path.join(directory, "benchmark.json"), encoding="utf-8") as f:
            name = json.load(f)["full_id"]
        with open(estimates, encoding="utf-8") as f:
            median = json.load(f)["median"]
        interval = median["confidence_interval"]
        rows.append({"benchmark": name, "median_ns": median["point_estimate"],
                     "ci_lower_ns": interval["lower_bound"],
                     "ci_upper_ns": interval["upper_bound"],
                     "confidence_level": interval["confidence_level"]})
    rows.sort(key=lambda r: r["benchmark"])
    machine = read_machine(machine_file)
    machine["load after"] = load_average()
    names = {r["benchmark"] for r in rows}
    skipped = [name for name, _ in FLOOR_PARTS[1:] if name not in names]
    write_json(out, {"mode": "micro", "machine": machine, "measurement_seconds": float(seconds),
                     "warm_up_seconds": 1.0, "skipped": skipped, "results": rows})
    print(micro_table(rows))
    for name in skipped:
        print("\nnot measured: %s (its service did not answer; see the output above)" % name)
    if not rows:
        sys.exit("no criterion estimates were written by this run")


def micro_table(rows, docs=False):
    quote = (lambda s: "`%s`" % s) if docs else (lambda s: s)
    return table(("benchmark", "median", "95 % interval of the median"),
                 [(quote(r["benchmark"]), shown(r["median_ns"]),
                   "%s – %s" % (shown(r["ci_lower_ns"]), shown(r["ci_upper_ns"]))) for r in rows],
                 pad=not docs)


# --- the floor -----------------------------------------------------------------------------

def floor(micro_path, scenarios):
    """The floor of GET /v1/children/{id} from the micro-benchmarks in micro_path, and the
    measured p50 of that request on one connection (scenarios: load.py's rows) against it."""
    result = {"scenario": FLOOR_SCENARIO, "goal_ratio": FLOOR_GOAL, "micro_report": micro_path}
    row = next((r for r in scenarios if r["scenario"] == FLOOR_SCENARIO), None)
    if row is not None:
        calls = row["store_calls_per_request"]
        result.update(p50_ms=row["p50_ms"], p99_ms=row["p99_ms"],
                      redis_calls_per_request=calls.get("store:redis", 0.0),
                      mongodb_calls_per_request=calls.get("store:mongodb", 0.0))
    try:
        with open(micro_path, encoding="utf-8") as f:
            report = json.load(f)
    except (OSError, ValueError):
        result["missing"] = "no micro-benchmark report (scripts/bench micro, or all, writes it)"
        return result
    machine = report.get("machine", {})
    result["micro_measured"] = {"date": machine.get("date"), "commit": machine.get("commit"),
                                "command": machine.get("command")}
    medians = {r["benchmark"]: r["median_ns"] for r in report.get("results", [])}
    parts = [{"benchmark": name, "what": what, "median_ns": medians.get(name)}
             for name, what in FLOOR_PARTS]
    result["parts"] = parts
    absent = [p["benchmark"] for p in parts if p["median_ns"] is None]
    if absent:
        result["missing"] = "not in the micro-benchmark report: " + ", ".join(absent)
        return result
    result["floor_ms"] = sum(p["median_ns"] for p in parts) / 1e6
    if row is not None and result["floor_ms"] > 0:
        result["ratio"] = row["p50_ms"] / result["floor_ms"]
        result["met"] = result["ratio"] <= FLOOR_GOAL
    return result


def floor_lines(floor_data, docs=False):
    """The floor comparison as console or Markdown text."""
    out = []
    if "p50_ms" not in floor_data:
        out.append("The scenario `%s` was not measured." % FLOOR_SCENARIO)
    if floor_data.get("missing"):
        out.append("No floor to compare with: %s." % floor_data["missing"])
    if "floor_ms" not in floor_data:
        return "\n".join(out)
    measured = floor_data.get("micro_measured", {})
    out.append(paragraph(
        "Against the floor: the p50 of `GET /v1/children/{id}` on one connection (latency "
        "without queueing) and the medians of the micro-benchmarks in `target/bench/micro.json` "
        "(measured %s at commit %s), the parts of that request no implementation can avoid:"
        % (measured.get("date") or "?", commit(measured.get("commit")))))
    out.append("")
    rows = [(p["what"], "`%s`" % p["benchmark"], shown(p["median_ns"]))
            for p in floor_data["parts"]]
    rows.append(("**the floor**", "", "**%s**" % shown(floor_data["floor_ms"] * 1e6)))
    if "ratio" in floor_data:
        rows.append(("measured p50 (p99), 1 connection", "`%s`" % FLOOR_SCENARIO,
                     "%s (%s)" % (shown(floor_data["p50_ms"] * 1e6),
                                  shown(floor_data["p99_ms"] * 1e6))))
        rows.append(("**p50 / floor** (goal ≤ %.1f×)" % FLOOR_GOAL, "",
                     "**%.2f×**, %s" % (floor_data["ratio"],
                                         "met" if floor_data["met"] else "missed")))
    out.append(table(("part", "measured by", "median"), rows, pad=not docs))
    if "ratio" in floor_data:
        out.append("")
        out.append(paragraph(
            "The request made %.2f Redis and %.2f MongoDB calls (as counted by the server in the "
            "same scenario); the floor counts one of each." % (
                floor_data["redis_calls_per_request"], floor_data["mongodb_calls_per_request"])))
    return "\n".join(out)


# --- the load reports ----------------------------------------------------------------------

def thousands(value):
    return "{:,.0f}".format(value)


def cpu(value):
    return thousands(value) if value >= 100 else "%.1f" % value


def statuses(counted):
    return ", ".join("%s: %s" % (code, thousands(n)) for code, n in sorted(counted.items())) or "-"


def load_table(report, with_stores):
    head = ["data set", "scenario", "conns", "req/s", "p50 ms", "p99 ms", "p99.9 ms",
            "server CPU µs/req", "RSS / peak MB", "statuses"]
    if with_stores:
        head += ["MongoDB calls/req", "Redis calls/req"]
    rows = []
    for data_set in report["results"]:
        for r in data_set["scenarios"]:
            row = [data_set["data_set"], "`%s`" % r["scenario"], str(r["connections"]),
                   thousands(r["rps"]), "%.2f" % r["p50_ms"], "%.2f" % r["p99_ms"],
                   "%.2f" % r["p999_ms"], cpu(r["server_cpu_us_per_request"]),
                   "%.0f / %.0f" % (r["rss_mb"], r["peak_rss_mb"]),
                   statuses(r["statuses_counted_by_server"])]
            if with_stores:
                calls = r["store_calls_per_request"]
                row += ["%.2f" % calls.get("store:mongodb", 0.0),
                        "%.2f" % calls.get("store:redis", 0.0)]
            rows.append(row)
    return table(head, rows, pad=False)


def seeded(report):
    summaries = [d["summary"] for d in report["results"]]
    ready = " / ".join("%.1f" % s["ready_seconds"] for s in summaries)
    rss = " / ".join(thousands(s["rss_after_seed_mb"]) for s in summaries)
    text = "%sseeded and ready in %s s, %s MB resident before the load" % (
        "a server per data set, " if len(summaries) > 1 else "", ready, rss)
    if all("peak_rss_seeding_mb" in s for s in summaries):
        text += " (peak while seeding %s MB)" % " / ".join(
            thousands(s["peak_rss_seeding_mb"]) for s in summaries)
    return text


# --- the blocks of docs/benchmarks.md ------------------------------------------------------

def commit(text):
    """`abc1234` (with uncommitted changes), from print_machine's commit line."""
    word, _, rest = (text or "?").partition(" ")
    return "`%s`%s" % (word, " " + rest if rest else "")


def loads(text):
    return ", ".join((text or "?").split())


def header(report):
    m = report.get("machine", {})
    return "Measured on %s, commit %s, with `%s`: %s, %s of memory, %s, %s; load average " \
           "(1, 5, 15 min) %s before the run, %s after." % (
               m.get("date", "?"), commit(m.get("commit")), m.get("command", "scripts/bench"),
               m.get("cpu", "?"), m.get("memory", "?"), m.get("kernel", "?"),
               m.get("rustc", "?"), loads(m.get("load before")), loads(m.get("load after")))


def block_micro(report):
    lines = [paragraph(header(report) + " 1 s warm-up and %g s of measurement per benchmark."
                       % report["measurement_seconds"]),
             "", micro_table(report["results"], docs=True)]
    for name in report.get("skipped", []):
        lines += ["", "`%s` was not measured: its service did not answer." % name]
    return "\n".join(lines)


def block_load(report):
    mode = report["mode"]
    intro = {"load": "in-memory stores", "scale": "in-memory stores, the list on one connection",
             "mongo": "the MongoDB stand-in and Redis on loopback"}[mode]
    lines = [paragraph(
        "**`scripts/bench %s`** (%s; %s). %s Load from %s, %d s warm-up and %d s measured per "
        "scenario. RSS is after the scenario, peak RSS the process's `VmHWM` since the load began "
        "(reset after seeding); statuses are those the server counted in the measured run."
        % (mode, intro, seeded(report), header(report), report.get("load_generator", "wrk"),
           report["warmup_seconds"], report["duration_seconds"])),
        "", load_table(report, with_stores=(mode == "mongo"))]
    if mode == "mongo" and "floor" in report:
        lines += ["", floor_lines(report["floor"], docs=True)]
    return "\n".join(lines)


def block_goals(combined):
    m = combined.get("machine", {})
    lines = [paragraph(
        "From `%s` (`target/bench/all.json`), started %s at commit %s; load average (1, 5, 15 "
        "min) %s before, %s after. The verdicts are this script's reading of the numbers above, "
        "never asserted." % (m.get("command", "scripts/bench all"), m.get("date", "?"),
                             commit(m.get("commit")), loads(m.get("load before")),
                             loads(m.get("load after")))), "",
        table(("goal (issue 10)", "measured", "verdict"),
              [(g["goal"], g["measured"], "**%s**" % g["verdict"]) for g in combined["goals"]],
              pad=False)]
    return "\n".join(lines)


def rewrite(doc, mode, body):
    """Replaces the block of `mode` in the file doc; returns False (and says why) when the file
    has no such block."""
    start, end = "<!-- bench:%s -->" % mode, "<!-- /bench:%s -->" % mode
    with open(doc, encoding="utf-8") as f:
        text = f.read()
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line.strip() == start]
    ends = [i for i, line in enumerate(lines) if line.strip() == end]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        print("%s: no single %s ... %s block; not rewritten" % (doc, start, end), file=sys.stderr)
        return False
    new = lines[:starts[0] + 1] + [""] + body.rstrip("\n").split("\n") + [""] + lines[ends[0]:]
    updated = "\n".join(new)
    if updated != text:
        directory = os.path.dirname(os.path.abspath(doc))
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".benchmarks.", suffix=".md")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(updated)
        os.chmod(temporary, os.stat(doc).st_mode & 0o777)
        os.replace(temporary, doc)
    print("%s: the %s block is rewritten" % (doc, mode))
    return True


def docs(mode, json_path, doc):
    with open(json_path, encoding="utf-8") as f:
        report = json.load(f)
    render = {"micro": block_micro, "load": block_load, "scale": block_load,
              "mongo": block_load, "goals": block_goals}[mode]
    rewrite(doc, mode, render(report))


# --- scripts/bench all ---------------------------------------------------------------------

def scenario(report, name, data_set=0):
    if report is None or len(report["results"]) <= data_set:
        return None
    return next((r for r in report["results"][data_set]["scenarios"] if r["scenario"] == name),
                None)


def verdict(ok):
    return "met" if ok else "missed"


def goals(micro_report, load, scale, mongo):
    """The goals of issue 10 (docs/benchmarks.md, Load) against the measurements."""
    out = []
    gets = ("GET /v1/children?limit=25", "GET /v1/children/{id}", "GET /v1/rooms/{id}/ratio")
    short = {"GET /v1/children?limit=25": "list", "GET /v1/children/{id}": "one child",
             "GET /v1/rooms/{id}/ratio": "ratio"}
    measured = [(name, scenario(load, name)) for name in gets]
    measured = [(name, r) for name, r in measured if r is not None]
    lst = scenario(load, gets[0])
    if lst:
        out.append({"goal": "in-memory list ≥ 30,000 req/s (load generator on the machine)",
                    "measured": "%s req/s" % thousands(lst["rps"]),
                    "verdict": verdict(lst["rps"] >= 30000)})
    if measured:
        out.append({"goal": "server CPU ≤ 40 µs per authenticated GET (in-memory)",
                    "measured": ", ".join("%s µs (%s)" % (cpu(r["server_cpu_us_per_request"]),
                                                          short[n]) for n, r in measured),
                    "verdict": verdict(all(r["server_cpu_us_per_request"] <= 40
                                           for _, r in measured))})
        out.append({"goal": "p99 ≤ 5 ms at 64 connections (in-memory)",
                    "measured": ", ".join("%.1f ms (%s)" % (r["p99_ms"], short[n])
                                          for n, r in measured),
                    "verdict": verdict(all(r["p99_ms"] <= 5 for _, r in measured))})
    if scale and len(scale["results"]) >= 2:
        p50s = [(d["summary"]["children_per_tenant"], d["scenarios"][0]["p50_ms"])
                for d in scale["results"] if d["scenarios"]]
        if len(p50s) >= 2:
            growth = p50s[-1][1] / p50s[0][1] if p50s[0][1] else float("inf")
            out.append({"goal": "list latency flat from 1k to 100k children per centre (read "
                                "here as: p50 at the largest at most 2× that at the smallest)",
                        "measured": "p50 " + " → ".join("%.2f ms (%s)" % (p, thousands(n))
                                                        for n, p in p50s)
                                    + ", %.1f×" % growth,
                        "verdict": verdict(growth <= 2)})
            small = scale["results"][0]
            small_cpu = small["scenarios"][0]["server_cpu_us_per_request"]
            if lst:
                total = load["results"][0]["summary"]["children"]
                per = load["results"][0]["summary"]["children_per_tenant"]
                out.append({"goal": "no scan of other centres' data (read here as: a list costs "
                                    "at most 20 % more CPU in a store of many centres than in a "
                                    "store of few)",
                            "measured": "%s µs CPU per list with %s children in all (%s a "
                                        "centre), %s µs with %s in all (%s a centre)"
                                        % (cpu(lst["server_cpu_us_per_request"]), thousands(total),
                                           thousands(per), cpu(small_cpu),
                                           thousands(small["summary"]["children"]),
                                           thousands(small["summary"]["children_per_tenant"])),
                            "verdict": verdict(lst["server_cpu_us_per_request"]
                                               <= 1.2 * small_cpu)})
    if mongo:
        rows = mongo["results"][0]["scenarios"]
        under_load = [r for r in rows if not r["scenario"].startswith("POST /v1/auth/login")]
        logins = [r for r in rows if r["scenario"].startswith("POST /v1/auth/login")]
        if under_load:
            rss = [r["rss_mb"] for r in under_load]
            peak = max(r["peak_rss_mb"] for r in under_load)
            text = "%.0f to %.0f MB after each scenario, peak %.1f MB" % (min(rss), max(rss), peak)
            if logins:
                text += " (%.1f MB after the sign-ins, argon2's memory)" % logins[-1]["peak_rss_mb"]
            out.append({"goal": "MongoDB + Redis: RSS ≤ 30 MB under load",
                        "measured": text,
                        "verdict": verdict(max(rss) <= 30) + " for the RSS, "
                                   + verdict(peak <= 30) + " for the peak"})
        redis = []
        for name in gets:
            r = scenario(mongo, name)
            if r is None:
                continue
            calls = sum(v for k, v in r["store_calls_per_request"].items()
                        if k.startswith("op:redis ") and not k.startswith("op:redis jobs."))
            # When wrk stops, it closes its connections with a request in flight on each; the
            # server drops those requests after their Redis call, and counts no response.
            # Up to this much of the per-request figure is theirs.
            abandoned = r["connections"] / max(r["requests_counted_by_server"], 1)
            redis.append((short[name], calls, abandoned))
        if redis:
            out.append({"goal": "at most one Redis round trip before the store (MongoDB + Redis; "
                                "the dev worker's `jobs.*` polling not counted)",
                        "measured": ", ".join(
                            "%.2f (%s%s)" % (c, n, ", up to %.2f of it from the requests wrk "
                                             "abandons when it stops" % a if a >= 0.005 else "")
                            for n, c, a in redis) + " Redis calls per authenticated GET",
                        "verdict": verdict(all(c <= 1.0 + a + 0.005 for _, c, a in redis))})
        f = mongo.get("floor", {})
        if "ratio" in f:
            out.append({"goal": "MongoDB + Redis: latency ≤ 1.3× the measured floor for the "
                                "same request",
                        "measured": "`GET /v1/children/{id}` p50 %s on 1 connection, floor %s "
                                    "(HS256 verification + 1 Redis + 1 MongoDB round trip): %.2f×"
                                    % (shown(f["p50_ms"] * 1e6), shown(f["floor_ms"] * 1e6),
                                       f["ratio"]),
                        "verdict": verdict(f["met"])})
        else:
            out.append({"goal": "MongoDB + Redis: latency ≤ 1.3× the measured floor for the "
                                "same request",
                        "measured": f.get("missing", "no floor"), "verdict": "not measured"})
    return out


def combine(out, stamp, machine_file, paths):
    since = os.stat(stamp).st_mtime
    reports = {}
    for mode, path in zip(("micro", "load", "scale", "mongo"), paths):
        try:
            if os.stat(path).st_mtime < since:
                sys.exit("%s was not written by this run" % path)
            with open(path, encoding="utf-8") as f:
                reports[mode] = json.load(f)
        except FileNotFoundError:
            sys.exit("%s is missing" % path)
    machine = read_machine(machine_file)
    machine["load after"] = load_average()
    combined = {"mode": "all", "machine": machine, "reports": paths, "runs": reports,
                "goals": goals(reports["micro"], reports["load"], reports["scale"],
                               reports["mongo"])}
    write_json(out, combined)
    print(table(("goal (issue 10)", "measured", "verdict"),
                [(g["goal"], g["measured"], g["verdict"]) for g in combined["goals"]]))


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    args = sys.argv[2:]
    if command == "micro" and len(args) == 5:
        micro(*args)
    elif command == "docs" and len(args) == 3:
        docs(*args)
    elif command == "all" and len(args) == 7:
        combine(args[0], args[1], args[2], args[3:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
