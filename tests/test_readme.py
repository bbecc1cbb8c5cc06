"""The README stays true: generated capability matrix, set-up commands, exit codes."""

from __future__ import annotations

import re

from conftest import REPO, SAMPLE

from annoconv import capability_matrix
from annoconv.cli import EXIT_CODES

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_capability_matrix_is_the_generated_one() -> None:
    block = re.search(r"<!-- capability-matrix:start -->\n(.*?)\n<!-- capability-matrix:end -->", README, re.S)
    assert block, "README lost its capability-matrix markers"
    assert block.group(1) == capability_matrix(), "regenerate with `annoconv formats --markdown`"


def test_setup_commands_come_first_and_use_the_shipped_sample() -> None:
    commands = re.search(r"```bash\n(.*?)\n```", README, re.S).group(1).splitlines()  # type: ignore[union-attr]
    assert len(commands) == 2
    assert commands[0].startswith("pip install -e . && annoconv convert ")
    assert str(SAMPLE.relative_to(REPO)) in commands[0] and SAMPLE.is_file()
    assert commands[1] == "pip install -e '.[test]' && pytest"
    assert commands[1] in (REPO / ".ci" / "run").read_text()


def test_exit_code_table_matches_the_cli() -> None:
    table = dict(re.findall(r"^\| (\d) \| (.+?) \|$", README, re.M))
    cli = dict(line.strip().split(None, 1) for line in EXIT_CODES.splitlines()[1:])
    assert {code: meaning.replace("`", "") for code, meaning in table.items()} == cli
