"""Newer CPythons from Debian unstable, unpacked into a private root.

Debian stable ships 3.11 only; unstable has 3.13 and later, release and debug
builds, built the same way Debian users get them (libpython linked into the
executable, release binaries stripped). We never install them: apt runs with a
private configuration (own sources list naming suite sid, own lists, cache
and an empty dpkg status, so the whole dependency closure including libc comes
from sid), downloads the .debs, and we unpack them with dpkg-deb into
<sid dir>/root. Each interpreter is then patched to use that root's dynamic
loader and libraries, so it runs as an ordinary process whose /proc/PID/maps
and core-file notes name the real files under the root.

ensure_sid_root(...) is idempotent: a stamp records what was unpacked where;
with a matching stamp it returns at once.
"""

import glob
import json
import os
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import testbed

# The versions the registry (core/runtime/versions.json) takes from sid.
SID_MINORS = tuple(v["minor"] for v in testbed.supported_versions() if v["testbed"].get("debian") == "sid")

# Files the tests never need; skipping them keeps the root well under 1 GB.
_UNPACK_EXCLUDES = (
    "*.a",                 # static libpython/libc archives (hundreds of MB)
    "./usr/share/doc/*",
    "./usr/share/man/*",
    "./usr/share/locale/*",
    "./usr/share/info/*",
)

_STAMP_FORMAT = 1


def sid_packages(minors=SID_MINORS):
    packages = []
    for minor in minors:
        version = "3.%d" % minor
        # python3.X: the release interpreter; -dbg: python3.Xd (+ its libpython);
        # libpython3.X-dev: Include/ and pyconfig.h for the layout generator.
        packages += ["python" + version, "python%s-dbg" % version, "libpython%s-dev" % version]
    return packages


def interpreter_names(minors=SID_MINORS):
    return ["python3.%d%s" % (minor, flavour) for minor in minors for flavour in ("", "d")]


def _log(quiet, message):
    if not quiet:
        print("sid: " + message, flush=True)


class SidError(RuntimeError):
    pass


def _run(argv, **kwargs):
    completed = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True, **kwargs)
    if completed.returncode != 0:
        tail = "\n".join(completed.stdout.splitlines()[-25:])
        raise SidError("command failed (%d): %s\n%s" % (completed.returncode, " ".join(argv), tail))
    return completed.stdout


def _apt_options(apt_dir, arch):
    etc = os.path.join(apt_dir, "etc")
    return [
        "-o", "Dir::State=" + os.path.join(apt_dir, "state"),
        "-o", "Dir::State::Lists=" + os.path.join(apt_dir, "lists"),
        "-o", "Dir::State::status=" + os.path.join(apt_dir, "status"),
        "-o", "Dir::State::extended_states=" + os.path.join(apt_dir, "state", "extended_states"),
        "-o", "Dir::Cache=" + os.path.join(apt_dir, "cache"),
        "-o", "Dir::Etc::SourceList=" + os.path.join(etc, "sources.list"),
        "-o", "Dir::Etc::SourceParts=" + os.path.join(etc, "sources.list.d"),
        "-o", "Dir::Etc::Preferences=" + os.path.join(etc, "preferences"),
        "-o", "Dir::Etc::PreferencesParts=" + os.path.join(etc, "preferences.d"),
        # sid's Release file carries a Valid-Until that may read as expired
        # here (snapshot mirrors, skewed clocks); its signature is still checked.
        "-o", "Acquire::Check-Valid-Until=false",
        "-o", "Acquire::Languages=none",
        "-o", "APT::Architecture=" + arch,
        "-o", "APT::Architectures=" + arch,
        "-o", "APT::Default-Release=sid",
        "-o", "APT::Install-Recommends=false",
        "-o", "APT::Install-Suggests=false",
        # Only our private directories are touched: no need for the system locks,
        # and we must not contend with a real apt run on this machine.
        "-o", "Debug::NoLocking=true",
    ]


def _prepare_apt_dir(apt_dir, archive_uri, signed_by):
    for sub in ("etc/sources.list.d", "etc/preferences.d", "lists/partial",
                "cache/archives/partial", "state"):
        os.makedirs(os.path.join(apt_dir, sub), exist_ok=True)
    options = "[signed-by=%s] " % signed_by if signed_by else ""
    with open(os.path.join(apt_dir, "etc", "sources.list"), "w") as f:
        f.write("deb %s%s sid main\n" % (options, archive_uri))
    # Empty status: apt believes nothing is installed, so it resolves and
    # downloads the complete closure (libc6, libssl, ...) from sid.
    open(os.path.join(apt_dir, "status"), "w").close()


def _unpack(deb, root):
    # dpkg-deb -x has no excludes; stream its data tarball through tar instead.
    with subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE) as producer:
        argv = ["tar", "-x", "-C", root, "--no-same-owner", "--wildcards"]
        argv += ["--exclude=" + pattern for pattern in _UNPACK_EXCLUDES]
        tar = subprocess.run(argv, stdin=producer.stdout, stderr=subprocess.PIPE,
                             universal_newlines=True)
        producer.stdout.close()
    if producer.returncode != 0 or tar.returncode != 0:
        raise SidError("unpacking %s failed: %s" % (os.path.basename(deb), tar.stderr.strip()))


def _find_loader(root):
    for pattern in ("usr/lib/*-linux-gnu*/ld-linux*.so.*", "lib/*-linux-gnu*/ld-linux*.so.*",
                    "usr/lib64/ld-linux*.so.*", "lib64/ld-linux*.so.*"):
        for candidate in sorted(glob.glob(os.path.join(root, pattern))):
            real = os.path.realpath(candidate)
            if os.path.isfile(real) and real.startswith(root + os.sep):
                return real
    raise SidError("no dynamic loader (ld-linux*.so.*) was unpacked under " + root)


def _library_dirs(root, loader):
    """Directories holding the root's shared libraries, the libc one first."""
    dirs = [os.path.dirname(loader)]
    for pattern in ("usr/lib/*-linux-gnu*", "lib/*-linux-gnu*"):
        for candidate in sorted(glob.glob(os.path.join(root, pattern))):
            if os.path.isdir(candidate) and not os.path.islink(candidate) and candidate not in dirs:
                if glob.glob(os.path.join(candidate, "lib*.so*")):
                    dirs.append(candidate)
    return dirs


def _patch_interpreters(root, minors):
    loader = _find_loader(root)
    rpath = ":".join(_library_dirs(root, loader))
    patched = []
    for name in interpreter_names(minors):
        path = os.path.join(root, "usr", "bin", name)
        if not os.path.isfile(path) or os.path.islink(path):
            continue
        # DT_RPATH rather than DT_RUNPATH: it also governs the dependencies of
        # libraries and of dlopen()ed extension modules (libssl, libffi...).
        _run(["patchelf", "--set-interpreter", loader, "--force-rpath", "--set-rpath", rpath, path])
        patched.append(path)
    return patched, loader, rpath


def _read_stamp(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _expected_stamp(root, packages):
    return {"format": _STAMP_FORMAT, "root": root, "requested": sorted(packages)}


def _updated_apt(sid_dir, archive_uri, signed_by, quiet):
    """(apt dir, apt-get's argv) for the private apt of `sid_dir`, its lists freshly updated."""
    apt_dir = os.path.join(sid_dir, "apt")
    _prepare_apt_dir(apt_dir, archive_uri, signed_by)
    arch = _run(["dpkg", "--print-architecture"]).strip()
    apt = ["apt-get", "-q"] + _apt_options(apt_dir, arch)
    _log(quiet, "updating package lists for suite sid from %s" % archive_uri)
    _run(apt + ["update"])
    return apt_dir, apt


# Third-party modules the scenarios need from sid, unpacked into the same root
# after it exists (site-packages of the sid interpreters is the root's
# /usr/lib/python3/dist-packages). Debian builds them for the sid interpreters
# it supports: greenlet for 3.14 and 3.15, gevent for 3.14 (debug interpreters
# have none: Debian ships no debug builds of extension modules any more).
SID_EXTRAS = ("python3-greenlet", "python3-gevent")


def ensure_sid_extras(sid_dir, archive_uri, signed_by, packages=SID_EXTRAS, quiet=False):
    """Unpack `packages` and whatever of their closure the root lacks; idempotent.

    Only packages the root does not already hold are unpacked, so the
    interpreters' own libraries are never replaced by newer sid versions.
    """
    sid_dir = os.path.realpath(sid_dir)   # one root whatever symlink leads to the test bed
    root = os.path.join(sid_dir, "root")
    stamp_path = os.path.join(sid_dir, "stamp.json")
    stamp = _read_stamp(stamp_path)
    if not stamp or not os.path.isdir(root):
        raise SidError("no sid root to add %s to" % " ".join(packages))
    if sorted(stamp.get("extras_requested", [])) == sorted(packages):
        return stamp
    apt_dir, apt = _updated_apt(sid_dir, archive_uri, signed_by, quiet)
    for deb in glob.glob(os.path.join(apt_dir, "cache", "archives", "*.deb")):
        os.remove(deb)
    _log(quiet, "downloading %s" % " ".join(packages))
    _run(apt + ["-y", "--download-only", "install"] + list(packages))
    held = stamp.get("packages", {})
    added = {}
    for deb in sorted(glob.glob(os.path.join(apt_dir, "cache", "archives", "*.deb"))):
        name, version = os.path.basename(deb)[:-4].split("_")[:2]
        if name not in held:
            _unpack(deb, root)
            added[name] = version.replace("%3a", ":")
        os.remove(deb)
    stamp = dict(stamp, extras_requested=sorted(packages), extras=added)
    with open(stamp_path + ".tmp", "w") as f:
        json.dump(stamp, f, indent=1, sort_keys=True)
    os.replace(stamp_path + ".tmp", stamp_path)
    _log(quiet, "added %s" % ", ".join("%s %s" % item for item in sorted(added.items())))
    return stamp


def ensure_sid_root(sid_dir, archive_uri, signed_by, minors=SID_MINORS,
                    refresh=False, quiet=False, jobs=None):
    """Make <sid_dir>/root hold runnable sid interpreters; return the stamp dict.

    Raises SidError with the failing command's output if anything goes wrong.
    """
    sid_dir = os.path.realpath(sid_dir)   # one root whatever symlink leads to the test bed
    root = os.path.join(sid_dir, "root")
    stamp_path = os.path.join(sid_dir, "stamp.json")
    packages = sid_packages(minors)
    stamp = _read_stamp(stamp_path)
    if stamp and not refresh:
        if all(stamp.get(k) == v for k, v in _expected_stamp(root, packages).items()):
            return stamp
    for tool in ("apt-get", "dpkg-deb", "tar", "patchelf"):
        if shutil.which(tool) is None:
            raise SidError("%s is not installed (run scripts/install-deps)" % tool)

    started = time.monotonic()
    apt_dir, apt = _updated_apt(sid_dir, archive_uri, signed_by, quiet)
    _log(quiet, "downloading %s and their dependencies" % " ".join(packages))
    phase = time.monotonic()
    _run(apt + ["-y", "--download-only", "install"] + packages)
    debs = sorted(glob.glob(os.path.join(apt_dir, "cache", "archives", "*.deb")))
    if not debs:
        raise SidError("apt-get downloaded no packages into " + apt_dir)

    # Unpack into a fresh directory and swap it in, so an interrupted run never
    # leaves a half-populated root behind a valid stamp.
    if os.path.exists(stamp_path):
        os.remove(stamp_path)
    for leftover in glob.glob(os.path.join(sid_dir, "root.*")):
        shutil.rmtree(leftover, ignore_errors=True)  # from an interrupted run
    staging = tempfile.mkdtemp(prefix="root.", dir=sid_dir)
    _log(quiet, "downloaded %d packages (%.0f MB) in %.1f s; unpacking" % (
        len(debs), sum(os.path.getsize(d) for d in debs) / 1e6, time.monotonic() - phase))
    phase = time.monotonic()
    # Parallel extraction into one tree is safe: packages of one closure do not
    # share files, and tar tolerates directories that another tar created.
    try:
        with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
            list(pool.map(lambda deb: _unpack(deb, staging), debs))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if os.path.exists(root):
        shutil.rmtree(root)
    os.rename(staging, root)
    os.chmod(root, 0o755)

    _log(quiet, "unpacked in %.1f s" % (time.monotonic() - phase))
    patched, loader, rpath = _patch_interpreters(root, minors)
    if not patched:
        raise SidError("no interpreter binaries found in %s/usr/bin after unpacking" % root)

    versions = {}
    for deb in debs:
        name, version = os.path.basename(deb)[:-4].split("_")[:2]
        versions[name] = version.replace("%3a", ":")
    stamp = dict(_expected_stamp(root, packages), archive=archive_uri, loader=loader,
                 rpath=rpath, interpreters=patched, packages=versions,
                 unpacked=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    with open(stamp_path + ".tmp", "w") as f:
        json.dump(stamp, f, indent=1, sort_keys=True)
    os.replace(stamp_path + ".tmp", stamp_path)
    # The root is complete; the .debs (another ~330 MB) are no longer needed.
    for deb in debs:
        os.remove(deb)
    _log(quiet, "root ready in %.1f s: %s" % (time.monotonic() - started, root))
    return stamp
