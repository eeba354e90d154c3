"""docs/cli.md is the full reference: every option each command's --help lists is documented in that command's
section, and every option the section documents exists in --help (nothing stale)."""
import os
import re
import subprocess

import pytest

from conftest import BIN, ROOT

COMMANDS = [["serve"], ["invoke"], ["generate-event"], ["init"], ["package"], ["image", "build"]]
DOC = os.path.join(ROOT, "docs", "cli.md")


def help_options(command):
    out = subprocess.run([BIN, *command, "--help"], capture_output=True, text=True, check=True).stdout
    options = set()
    for line in out.splitlines():
        # option lines start with two spaces and a dash: "  -o, --output <output>   The zip ..."
        m = re.match(r"^  (-\w, )?(--[a-z0-9-]+)", line)
        if m:
            options.add(m.group(2))
    options.discard("--help")
    return options


def doc_section(command):
    text = open(DOC, encoding="utf-8").read()
    title = "## `perl-lambda " + " ".join(command) + "`"
    assert title in text, f"docs/cli.md has no section {title}"
    start = text.index(title) + len(title)
    end = text.find("\n## ", start)
    return text[start:] if end < 0 else text[start:end]


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_every_option_is_documented(command):
    section = doc_section(command)
    documented = set(re.findall(r"(?<![\w-])--[a-z0-9-]+", section))
    listed = help_options(command)
    assert listed, "no options parsed from --help"
    missing = sorted(o for o in listed if o not in documented)
    assert not missing, f"perl-lambda {' '.join(command)}: options in --help but not in docs/cli.md: {missing}"
    # options named in the section's option table must exist (other mentions may be of other commands' options)
    table = {o for row in re.findall(r"^\| `([^`]+)`", section, re.M) for o in re.findall(r"--[a-z0-9-]+", row)}
    stale = sorted(o for o in table if o not in listed)
    assert not stale, f"perl-lambda {' '.join(command)}: documented but not in --help: {stale}"
