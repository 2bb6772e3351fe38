"""argparse's own words in the user's language: usage, titles, help and errors."""

from __future__ import annotations

import pytest
from conftest import MULTICAST_PY, run_process  # noqa: F401  (fixture)

from papo.cli import main
from papo.cli.parser import PT_ERRORS, translate_error


@pytest.mark.parametrize(
    ("english", "portuguese"),
    [
        ("the following arguments are required: NOME", "faltam argumentos: NOME"),
        (
            "argument COMANDO: invalid choice: 'x' (choose from 'a', 'b')",
            "argumento COMANDO: 'x' não é uma opção (escolha entre 'a', 'b')",
        ),
        ("argument --port: invalid int value: 'abc'", "argumento --port: valor inválido 'abc'"),
        ("argument --port: expected one argument", "argumento --port: falta o valor"),
        ("unrecognized arguments: --foo", "argumentos desconhecidos: --foo"),
        (
            "argument --json: not allowed with argument --plain",
            "argumento --json: não vale junto com --plain",
        ),
        ("something argparse says one day", "something argparse says one day"),
    ],
)
def test_argparse_errors_are_said_in_portuguese(english: str, portuguese: str) -> None:
    assert translate_error(english, "pt") == portuguese
    assert translate_error(english, "en") == english
    assert len(PT_ERRORS) >= 10


def test_a_usage_error_in_portuguese_is_usage_then_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--lang", "pt", "receptor"], prog="multicast.py")
    assert exited.value.code == 2
    error = capsys.readouterr().err.splitlines()
    assert error[0].startswith("uso: multicast.py receive")
    assert error[-1] == "multicast.py receive: erro: faltam argumentos: NOME"


def test_help_screens_have_portuguese_titles(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--lang", "pt", "emissor", "--help"], prog="multicast.py")
    out = capsys.readouterr().out
    assert out.startswith("uso: ")
    assert "\nargumentos:\n" in out and "\nopções:\n" in out
    assert "mostra esta ajuda e sai" in out


def test_multicast_py_alone_shows_the_two_roles_of_the_handout(run_process) -> None:  # noqa: F811
    student = run_process([*MULTICAST_PY], lang="pt")
    assert student.popen.wait(10) == 2
    shown = student.popen.stderr.read()
    assert "python multicast.py emissor NOME" in shown
    assert "python multicast.py receptor NOME" in shown
    assert "Traceback" not in shown
