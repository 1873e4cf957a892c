import json
import subprocess
import sys

import pytest
from actloop.cli.main import build_parser, discover_commands, main


def test_top_level_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "info" in out and "COMMAND" in out


@pytest.mark.parametrize("command", sorted(discover_commands()))
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert discover_commands()[command].HELP.split()[0] in capsys.readouterr().out


def test_info_reports_versions_and_registries(capsys):
    assert main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["versions"]["actloop"] == "0.1.0"
    assert {"panda", "so101", "koch"} <= set(info["registered"]["embodiments"])
    assert {"panda/pick_place", "so101/pick_place"} <= set(info["registered"]["tasks"])
    assert {"tiny", "small", "base"} <= set(info["registered"]["policies"])


def test_console_script_runs_as_a_process():
    result = subprocess.run(
        [sys.executable, "-m", "actloop.cli", "info"], capture_output=True, text=True, check=True
    )
    assert "embodiments (" in result.stdout and "so101" in result.stdout


def test_unknown_command_is_rejected(capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["fly"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
