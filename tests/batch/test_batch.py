#!/usr/bin/env python3
"""`pyautopsy batch` on a directory built like a CI artefact directory.

Cores of several scenarios and interpreters (from corefiles/generate's cache),
under every naming scheme batch recognises (core.PID, NAME.PID.core,
systemd-coredump's core.COMM.UID.BOOTID.PID.TIME) and compression (zstd, lz4,
xz, gzip, made by the real tools), plus a core truncated inside its headers, a
core cut in half, a file named like a core that is text, an ELF executable
named like a core, a core whose name lies about its pid, and a CI log with a
`Fatal Python error` dump. Checks what a CI user reads: the groups, the
process tree, the log attached to the right core, the JSON, the JUnit XML
(parsed), the Markdown (table and code blocks), and the exit status.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

BOOT_ID = "0123456789abcdef0123456789abcdef"
INTERPRETERS = ["3.11.7", "3.12.1", "3.13.0"]  # pyenv builds: different stdlib lines, same scenario files
FAILURES = []


def check(condition, message):
    if not condition:
        FAILURES.append(message)
        print("FAIL:", message)


def cores_of(cache, interp, scenario):
    d = os.path.join(cache, "cores", interp, scenario)
    meta = json.load(open(os.path.join(d, "meta.json")))
    return [(c["pid"], os.path.join(d, c["file"])) for c in meta["cores"]], meta["pid"]


def compress(tool, src, dst):
    with open(dst, "wb") as out:
        subprocess.run([tool, "-c", src], stdout=out, check=True, stderr=subprocess.DEVNULL)


def expected_signature(report):
    """The documented rule (core/batch/Signature.h), written again independently."""
    findings = report.get("diagnoses") or []
    finding = findings[0].get("id") if findings and isinstance(findings[0], dict) and findings[0].get("id") else "no-diagnosis"
    signal = (report["target"].get("signal") or {}).get("name") or "?"
    threads = report["threads"]
    thread = next((t for t in threads if t["crashed"]), None) or next((t for t in threads if t["main"]), None) \
        or (threads[0] if threads else None)
    frames = []
    for f in (thread or {}).get("frames", []):
        if f["kind"] != "python":
            continue
        name = f["file"] if f["file"].startswith("<") else os.path.basename(f["file"])
        frames.append("%s (%s:%s)" % (f["function"] or "?", name, "?" if f["line"] is None else f["line"]))
        if len(frames) == 5:
            break
    return "%s|%s|%s" % (finding, signal, ";".join(frames) if frames else "<no python frames>")


def build(cache, root):
    """Lays out the directory; returns {label: path} of what the checks look for."""
    files = {}
    os.makedirs(os.path.join(root, "deep", "a", "b"))

    # 3.12.1 sigterm_pending_atexit: parent plain; workers NAME.PID.core and systemd + zstd.
    (ppid_core, workers), parent_pid = (lambda cs, p: ((next(c for c in cs if c[0] == p), [c for c in cs if c[0] != p]), p))(
        *cores_of(cache, "3.12.1", "sigterm_pending_atexit"))
    files["pool_parent"] = os.path.join(root, "core.%d" % ppid_core[0])
    os.link(ppid_core[1], files["pool_parent"])
    files["pool_worker1"] = os.path.join(root, "python3.12.%d.core" % workers[0][0])
    os.link(workers[0][1], files["pool_worker1"])
    files["pool_worker2"] = os.path.join(root, "core.python3\\x2e12.0.%s.%d.1700000000000000.zst" % (BOOT_ID, workers[1][0]))
    compress("zstd", workers[1][1], files["pool_worker2"])

    # 3.12.1 hung_child: parent .lz4, child .xz (in a subdirectory of its own: the tree must still join them).
    cs, p = cores_of(cache, "3.12.1", "hung_child")
    parent = next(c for c in cs if c[0] == p)
    child = next(c for c in cs if c[0] != p)
    files["hung_parent"] = os.path.join(root, "core.%d.lz4" % parent[0])
    compress("lz4", parent[1], files["hung_parent"])
    files["hung_child"] = os.path.join(root, "core.%d.xz" % child[0])
    compress("xz", child[1], files["hung_child"])

    # threads_abort on three interpreters: gzip, plain, and deep in a tree.
    for interp, where, gz in (("3.11.7", root, True), ("3.12.1", root, False), ("3.13.0", os.path.join(root, "deep", "a", "b"), False)):
        (pid, path), = cores_of(cache, interp, "threads_abort")[0]
        files["threads_" + interp] = os.path.join(where, "core.%d%s" % (pid, ".gz" if gz else ""))
        (compress("gzip", path, files["threads_" + interp]) if gz else os.link(path, files["threads_" + interp]))

    # 3.11.7 pool workers without their parent; 3.11.7 dealloc_none_at_exit with its CI log.
    cs, p = cores_of(cache, "3.11.7", "sigterm_pending_atexit")
    for i, (pid, path) in enumerate(c for c in cs if c[0] != p):
        files["pool311_worker%d" % i] = os.path.join(root, "core.%d" % pid)
        os.link(path, files["pool311_worker%d" % i])
    (pid, path), = cores_of(cache, "3.11.7", "dealloc_none_at_exit")[0]
    files["dealloc"] = os.path.join(root, "core.%d" % pid)
    os.link(path, files["dealloc"])
    files["log"] = os.path.join(root, "..", "ci.log")
    with open(files["log"], "w") as log:
        log.write("tests/test_exit.py::test_exit PASSED\n")
        log.write(open(os.path.join(cache, "cores", "3.11.7", "dealloc_none_at_exit", "stderr.txt")).read())
        log.write("\nError: Process completed with exit code 134.\n")

    # A core whose name lies about its pid.
    (pid, path), = cores_of(cache, "3.12.1", "deadlock")[0]
    files["renamed"] = os.path.join(root, "core.1")
    os.link(path, files["renamed"])
    files["renamed_pid"] = pid

    # Bad input: truncated inside its headers, cut in half, text, an ELF executable, an unrelated file.
    (pid, path), = cores_of(cache, "3.12.1", "locals_zoo")[0]
    with open(path, "rb") as src:
        head = src.read(3000)
    files["truncated"] = os.path.join(root, "core.424242")
    open(files["truncated"], "wb").write(head)
    (pid, path), = cores_of(cache, "3.12.1", "refcount_underflow")[0]
    files["half"] = os.path.join(root, "core.%d" % pid)
    with open(path, "rb") as src, open(files["half"], "wb") as out:
        out.write(src.read(os.path.getsize(path) // 2))
    files["text"] = os.path.join(root, "core.31337")
    open(files["text"], "w").write("not a core\n")
    files["elf"] = os.path.join(root, "deep", "core.555")
    shutil.copy("/bin/true", files["elf"])
    open(os.path.join(root, "README.txt"), "w").write("artefacts\n")
    return files


def run(pyautopsy, args):
    proc = subprocess.run([pyautopsy, "batch"] + args, capture_output=True, text=True, timeout=600)
    return proc.returncode, proc.stdout, proc.stderr


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pyautopsy", required=True)
    parser.add_argument("--cache", required=True)
    args = parser.parse_args()
    args.pyautopsy = os.path.abspath(args.pyautopsy)
    for interp in INTERPRETERS:
        if not os.path.isdir(os.path.join(args.cache, "cores", interp, "threads_abort")):
            print("SKIP: no cores for %s; run corefiles/generate" % interp)
            return 77
    for tool in ("zstd", "lz4", "xz", "gzip"):
        if shutil.which(tool) is None:
            print("SKIP: %s is not installed" % tool)
            return 77

    work = tempfile.mkdtemp(prefix="pyautopsy-batch-test-")
    try:
        root = os.path.join(work, "artifacts")
        os.makedirs(root)
        files = build(args.cache, root)
        out = {k: os.path.join(work, "out." + k) for k in ("json", "md", "xml")}
        rc, stdout, stderr = run(args.pyautopsy, [root, "-j", "2", "--timeout", "120", "--json", out["json"],
                                                  "--markdown", out["md"], "--junit", out["xml"], "--log", files["log"]])
        print(stdout)
        print(stderr, file=sys.stderr)
        check(rc == 1, "exit status %d, want 1 (crashes found)" % rc)
        check("Traceback" not in stderr and "internal error" not in stderr, "batch wrote errors: " + stderr)
        doc = json.load(open(out["json"]))
        by_path = {os.path.realpath(c["path"]): (i, c) for i, c in enumerate(doc["cores"])}

        def core(label):
            return by_path.get(os.path.realpath(files[label]), (None, None))

        # Discovery: every core found once, bad files where they belong.
        core_labels = [k for k in files if k not in ("log", "text", "elf", "renamed_pid")]
        for label in core_labels:
            check(core(label)[1] is not None, "%s (%s) was not found" % (label, files[label]))
        check(len(doc["cores"]) == len(core_labels), "%d cores reported, want %d" % (len(doc["cores"]), len(core_labels)))
        skipped = {os.path.realpath(s["path"]): s["reason"] for s in doc["skipped"] if s["path"]}
        check(os.path.realpath(files["text"]) in skipped, "the text file named core.31337 is not skipped")
        check("not a core" in skipped.get(os.path.realpath(files["elf"]), ""), "the ELF executable is not skipped as 'not a core'")
        check(not any("README" in p for p in skipped), "README.txt should be ignored, not skipped")

        # Decompression: each compressed core analysed with its format recorded.
        for label, fmt in (("pool_worker2", "zstd"), ("hung_parent", "lz4"), ("hung_child", "xz"), ("threads_3.11.7", "gzip")):
            _, c = core(label)
            check(c and c["status"] == "analysed" and c["compression"] == fmt,
                  "%s: status %s compression %s, want analysed %s" % (label, c and c["status"], c and c["compression"], fmt))

        # Bad cores are reported, not fatal.
        _, truncated = core("truncated")
        check(truncated and truncated["status"] == "unreadable" and "truncated" in truncated["reason"],
              "the 3000-byte core is not unreadable with a reason: %s" % truncated)
        _, half = core("half")
        check(half and ((half["status"] == "analysed" and half["partial"] and half["warnings"]) or
                        (half["status"] == "unreadable" and half["reason"])),
              "the half core is neither partial with a warning nor unreadable with a reason: %s" % (half and {k: half[k] for k in ("status", "partial", "reason", "warnings")}))
        _, renamed = core("renamed")
        check(renamed and renamed["pid"] == files["renamed_pid"] and renamed["name_pid"] == 1 and
              any("pid 1" in w and str(files["renamed_pid"]) in w for w in renamed["warnings"]),
              "core.1 holding pid %d has no pid mismatch warning: %s" % (files["renamed_pid"], renamed and renamed["warnings"]))

        # Groups: exactly the partition the documented signature rule gives.
        expected = {}
        for i, c in enumerate(doc["cores"]):
            if c["status"] == "analysed":
                expected.setdefault(expected_signature(c["report"]), set()).add(i)
        actual = {g["signature"]: set(g["members"]) for g in doc["groups"]}
        check(actual == expected, "groups differ from the signature rule:\n  got  %s\n  want %s" % (actual, expected))
        check(sum(len(g["members"]) for g in doc["groups"]) == doc["summary"]["analysed"], "not every analysed core is in one group")
        group_of = {i: g for g, grp in enumerate(doc["groups"]) for i in grp["members"]}
        w1, w2 = core("pool_worker1")[0], core("pool_worker2")[0]
        check(w1 is not None and group_of.get(w1) == group_of.get(w2) is not None,
              "the two 3.12.1 pool workers (NAME.PID.core and systemd .zst) are not one group")
        check(doc["groups"][group_of[w1]]["top_frames"][0].startswith("task (sigterm_pending_atexit.py:"),
              "the pool workers' top frame is not task() in sigterm_pending_atexit.py: %s" % doc["groups"][group_of[w1]]["top_frames"])
        # Same scenario, other interpreters: they group exactly when their top frames (function, file, line)
        # agree. threads_abort's are all in the scenario file, so it groups across versions; the pool workers'
        # run through multiprocessing/pool.py, and 3.11.7 and 3.12.1 happen to have the same lines there.
        t = [core("threads_" + i)[0] for i in INTERPRETERS]
        check(len({group_of.get(i) for i in t}) == 1, "threads_abort on %s is not one group" % INTERPRETERS)
        check(group_of.get(core("pool311_worker0")[0]) == group_of.get(core("pool311_worker1")[0]) == group_of.get(w1),
              "the four pool workers of 3.11.7 and 3.12.1 (same top frames) are not one group")
        check(len(doc["groups"][group_of[w1]]["members"]) == 4, "the pool workers' group does not have 4 members")
        # Process tree: the pool parent has its two workers; the hung child was adopted by init after its parent died.
        node = {n["core"]: n for n in doc["process_tree"]}
        parent = core("pool_parent")[0]
        check(parent in node and sorted(node[parent]["children"]) == sorted([w1, w2]) and node[parent]["parent"] is None,
              "the pool parent's children are %s, want %s" % (node.get(parent, {}).get("children"), [w1, w2]))
        hp, hc = core("hung_parent")[0], core("hung_child")[0]
        check(hc in node and node[hc]["parent"] == hp and node[hc]["parent_from_process_group"] and hc in node[hp]["children"],
              "hung_child: the child's parent is %s, want the parent's core %s" % (node.get(hc), hp))
        check(node.get(core("pool311_worker0")[0], {}).get("parent") is None, "3.11.7 workers have no parent in the batch")
        check("Process tree:" in stdout and "adopted" in stdout, "the text summary has no process tree")

        # The CI log's Fatal Python error belongs to the 3.11.7 dealloc core (same thread ident), and only to it.
        _, dealloc = core("dealloc")
        logs = dealloc["logs"] if dealloc else []
        check(len(logs) == 1 and logs[0]["error"].startswith("Fatal Python error: none_dealloc") and logs[0]["line"] == 2,
              "the log dump is not attached to the dealloc core: %s" % logs)
        check(sum(len(c["logs"]) for c in doc["cores"]) == 1, "the log dump is attached to more than one core")

        # JUnit XML: parses, and its counts are right.
        tree = ET.parse(out["xml"])
        suite = tree.getroot().find("testsuite")
        cases = suite.findall("testcase")
        n_groups, n_unreadable = len(doc["groups"]), doc["summary"]["unreadable"]
        check(int(suite.get("tests")) == len(cases) == n_groups + n_unreadable, "JUnit tests=%s, %d testcases, want %d" % (
            suite.get("tests"), len(cases), n_groups + n_unreadable))
        check(int(suite.get("failures")) == n_groups == len([c for c in cases if c.find("failure") is not None]),
              "JUnit failures != groups")
        check(int(suite.get("errors")) == n_unreadable == len([c for c in cases if c.find("error") is not None]),
              "JUnit errors != unreadable cores")
        failure = next(c for c in cases if c.find("failure") is not None).find("failure")
        check("top Python frames" in failure.text and failure.get("message"), "a JUnit failure lacks the evidence")

        # Markdown: a groups table with one row per group, balanced code blocks holding the top frames.
        md = open(out["md"]).read().splitlines()
        header = [i for i, line in enumerate(md) if line.startswith("| # | cores |")]
        check(len(header) == 1 and md[header[0] + 1].startswith("|---:"), "the Markdown has no groups table")
        check(len([r for r in md[header[0] + 2: header[0] + 2 + n_groups] if r.startswith("| ")]) == n_groups if header else False,
              "the Markdown table does not have one row per group")
        fences = [line for line in md if line.startswith("```")]
        check(len(fences) % 2 == 0 and len(fences) >= 2 * n_groups, "unbalanced or missing Markdown code blocks")
        text = "\n".join(md)
        check("```text\ntask (sigterm_pending_atexit.py:" in text, "the pool workers' top frames are not in a code block")
        check("### Unreadable cores" in text and "### Process tree" in text, "the Markdown lacks the unreadable cores or the tree")

        # A hang is cut off by the time limit and reported; the batch goes on.
        rc, stdout, _ = run(args.pyautopsy, [files["dealloc"], files["threads_3.12.1"], "--timeout", "0.001", "--json", out["json"]])
        timed = json.load(open(out["json"]))["cores"]
        check(rc == 1 and len(timed) == 2 and all(c["status"] == "unreadable" and "longer than" in c["reason"] for c in timed),
              "a 1 ms time limit did not stop both analyses: %s" % [(c["status"], c["reason"]) for c in timed])

        # Exit status: --exit-zero, and a directory with no cores.
        rc, _, _ = run(args.pyautopsy, [files["dealloc"], "--exit-zero"])
        check(rc == 0, "--exit-zero: exit status %d" % rc)
        empty = os.path.join(work, "empty")
        os.makedirs(empty)
        open(os.path.join(empty, "core"), "w").write("text")
        rc, stdout, _ = run(args.pyautopsy, [empty, "--junit", out["xml"]])
        check(rc == 0 and "0 cores" in stdout, "a directory without cores: exit status %d" % rc)
        check(int(ET.parse(out["xml"]).getroot().find("testsuite").get("failures")) == 0, "JUnit of no cores has failures")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d failure(s)" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
