#!/usr/bin/env python3
"""CI secret scan: no private key, password, token or cloud key may be committed.

Secrets reach hnplus only from the environment (``.env`` for docker compose, which is git-ignored; see
``.env.example``) or from Airflow connections. This scans every tracked file plus every new file git would
add (``git ls-files --cached --others --exclude-standard``) and exits 1 with ``path:line: rule`` per finding.
A line that must hold a look-alike (a documented placeholder) can carry ``pragma: allowlist secret``.

Usage: ``python tools/check_secrets.py [--root DIR]`` (default: the repository of this script).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 2_000_000
ALLOW_MARK = "pragma: allowlist secret"
PLACEHOLDER = re.compile(
    r"^([/~]|\./|\$\{?|<|\{\{|%\(|change[-_]?me|changeme|x{3,}|\*{3,}|example|dummy|placeholder|your[-_]|redacted|"
    r"not[-_]?a[-_]?secret|test|fake|sample|none|null|true|false|os\.environ|env\b|getenv)",
    re.IGNORECASE,
)
RULES: list[tuple[str, re.Pattern[str]]] = [
    ("private key", re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----")),
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("AWS secret access key", re.compile(r"aws_secret_access_key\s*[:=]\s*['\"]?[A-Za-z0-9/+=]{40}\b", re.I)),
    ("GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b")),
    ("Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("JSON web token", re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")),
]
# user:password@ in a URL, unless the password is a ${VAR} substitution or a placeholder
URL_CRED = re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:([^/\s@'\"]+)@", re.IGNORECASE)
KEY_WORDS = (r"(?:password|passwd|pwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|fernet[-_]?key|"
             r"credentials?)")
# key = "literal" / key: 'literal' (any file), key=literal / KEY: literal (config files)
QUOTED_ASSIGN = re.compile(KEY_WORDS + r"\w*['\"]?\s*[:=]\s*[rbf]?['\"]([^'\"\s]{8,})['\"]", re.IGNORECASE)
BARE_ASSIGN = re.compile(r"^\s*(?:export\s+)?[\w.-]*" + KEY_WORDS + r"[\w.-]*\s*[:=]\s*([^\s'\"#]{8,})\s*$",
                         re.IGNORECASE)
CONFIG_SUFFIXES = {".env", ".ini", ".cfg", ".conf", ".toml", ".yml", ".yaml", ".properties", ""}
SECRET_FILES = re.compile(r"(^|/)(\.env|id_rsa|id_dsa|id_ecdsa|id_ed25519|.*\.pem|.*\.key|.*\.p12|.*\.pfx|"
                          r"\.netrc|\.pgpass|credentials\.json|service[-_]account.*\.json)$")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}"


def tracked_files(root: Path) -> list[str]:
    """Files git tracks, plus new files it would add (ignored files such as .env are not committed)."""
    out = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         check=True, capture_output=True).stdout
    return sorted({p for p in out.decode("utf-8", "surrogateescape").split("\0") if p})


def _is_placeholder(value: str) -> bool:
    return bool(PLACEHOLDER.match(value.strip("'\"")))


def scan_text(rel: str, text: str) -> list[Finding]:
    """Findings of one file's text (also used by the tests)."""
    found: list[Finding] = []
    suffix = Path(rel).suffix.lower() if not Path(rel).name.startswith(".env") else ".env"
    for n, line in enumerate(text.splitlines(), 1):
        if ALLOW_MARK in line:
            continue
        for rule, rx in RULES:
            if rx.search(line):
                found.append(Finding(rel, n, rule))
        for m in URL_CRED.finditer(line):
            if not _is_placeholder(m.group(1)) and not m.group(1).startswith("$"):
                found.append(Finding(rel, n, "password in a URL"))
        for m in QUOTED_ASSIGN.finditer(line):
            if not _is_placeholder(m.group(1)):
                found.append(Finding(rel, n, "hard-coded secret assignment"))
        if suffix in CONFIG_SUFFIXES:
            m = BARE_ASSIGN.match(line)
            if m and not _is_placeholder(m.group(1)):
                found.append(Finding(rel, n, "hard-coded secret in config"))
    return found


def scan(root: Path) -> list[Finding]:
    """Every finding in the files git tracks or would add under ``root``."""
    findings: list[Finding] = []
    for rel in tracked_files(root):
        path = root / rel
        if SECRET_FILES.search(rel) and not rel.endswith((".example", ".sample")):
            findings.append(Finding(rel, 0, "secret-bearing file committed"))
        if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_BYTES:
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue
        findings.extend(scan_text(rel, data.decode("utf-8", "replace")))
    return findings


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = ap.parse_args(argv)
    findings = scan(args.root)
    for f in findings:
        print(f)
    if findings:
        print(f"{len(findings)} possible secret(s) committed; move them to the environment (.env) or an Airflow "
              f"connection, or mark a reviewed placeholder line with '{ALLOW_MARK}'.", file=sys.stderr)
        return 1
    print("no secrets found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
