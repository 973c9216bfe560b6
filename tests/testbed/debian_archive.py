"""Which Debian archive this machine already uses, read from its apt sources.

The test bed downloads packages from Debian's unstable suite, but never names a
mirror itself: it reuses the main archive the system is configured with (a
local mirror, a proxy, or a snapshot), so it works wherever apt works.

system_archive_uri() -> (uri, signed_by or None), or raises LookupError.
"""

import glob
import os
import re

# Suites that identify an entry as Debian's main archive (after dropping
# -updates, -backports, -proposed-updates). Security archives are skipped: they
# carry no "sid".
_DEBIAN_SUITES = {
    "stretch", "buster", "bullseye", "bookworm", "trixie", "forky", "duke",
    "sid", "oldoldstable", "oldstable", "stable", "testing", "unstable",
    "experimental",
}


def _is_main_archive(uri, suites, components):
    if "security" in uri or "main" not in components:
        return False
    for suite in suites:
        base = re.sub(r"-(updates|backports|backports-sloppy|proposed-updates)$", "", suite)
        if base in _DEBIAN_SUITES:
            return True
    return False


def _one_line_entries(path):
    """Entries of a one-line-style .list file: (uri, suites, components, signed_by)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            options = {}
            match = re.match(r"^(deb)\s+\[([^\]]*)\]\s+(.*)$", line)
            if match:
                for option in match.group(2).split():
                    key, _, value = option.partition("=")
                    options[key.lower()] = value
                rest = match.group(3).split()
            else:
                words = line.split()
                if words[0] != "deb":
                    continue  # deb-src or something we do not understand
                rest = words[1:]
            if len(rest) < 3:
                continue
            yield rest[0], [rest[1]], rest[2:], options.get("signed-by")


def _deb822_entries(path):
    """Entries of a deb822 .sources file, honouring Enabled: no."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    for stanza in re.split(r"\n\s*\n", text):
        fields, key = {}, None
        for raw in stanza.splitlines():
            if raw.startswith("#"):
                continue
            if raw[:1] in (" ", "\t") and key:
                fields[key] += "\n" + raw.strip()  # continuation (e.g. an inline key)
                continue
            key, sep, value = raw.partition(":")
            if not sep:
                key = None
                continue
            key = key.strip().lower()
            fields[key] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").strip().lower() == "no":
            continue
        signed_by = fields.get("signed-by")
        if signed_by and not signed_by.startswith("/"):
            signed_by = None  # an inline key block: let apt's trusted keyring decide
        for uri in fields.get("uris", "").split():
            yield uri, fields.get("suites", "").split(), fields.get("components", "").split(), signed_by


def _source_files(etc="/etc/apt"):
    files = []
    main = os.path.join(etc, "sources.list")
    if os.path.isfile(main):
        files.append(main)
    for path in sorted(glob.glob(os.path.join(etc, "sources.list.d", "*"))):
        name = os.path.basename(path)
        if ".disabled" in name or not os.path.isfile(path):
            continue
        if name.endswith(".list") or name.endswith(".sources"):
            files.append(path)
    return files


def system_archive_uri(etc="/etc/apt"):
    """The URI (and Signed-By keyring, if any) of the system's main Debian archive."""
    for path in _source_files(etc):
        entries = _deb822_entries(path) if path.endswith(".sources") else _one_line_entries(path)
        for uri, suites, components, signed_by in entries:
            if _is_main_archive(uri, suites, components):
                return uri.rstrip("/"), signed_by
    raise LookupError(
        "no Debian main archive found in %s/sources.list or sources.list.d/ "
        "(looked for a 'deb' entry with component main and a Debian suite); "
        "pass --archive URI" % etc)
