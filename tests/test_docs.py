"""The README and docs stay true to the code: every `python -m` command they give exists and
answers --help, and the README's settings table is exactly what bot/config.py reads and
.env.example lists."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), REPO / "models" / "README.md"]
_COMMAND = re.compile(r"\bpython3? -m ([A-Za-z_][\w.]*)")
_TABLE_ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]*)` \|", re.MULTILINE)
_READ_SETTING = re.compile(r"""env\.get\(\s*["']([A-Z][A-Z0-9_]*)["']""")


def documented_modules() -> dict[str, list[str]]:
    """Each module run with `python -m` in the docs, and the files that run it."""
    modules: dict[str, list[str]] = {}
    for path in DOCS:
        for module in _COMMAND.findall(path.read_text(encoding="utf-8")):
            modules.setdefault(module, []).append(path.relative_to(REPO).as_posix())
    return modules


def test_the_docs_give_commands_to_check() -> None:
    modules = documented_modules()
    assert {"bot", "recognizer", "recognizer.bench", "benchmarks.composed",
            "benchmarks.symbols", "pytest"} <= set(modules)


def test_every_documented_python_m_command_exists_and_answers_help() -> None:
    modules = documented_modules()
    missing = {m: where for m, where in modules.items() if importlib.util.find_spec(m) is None}
    assert not missing, f"modules the docs run that do not exist: {missing}"

    def help_of(module: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", module, "--help"], cwd=REPO,
                              capture_output=True, text=True, timeout=120)

    with ThreadPoolExecutor(4) as pool:
        finished = dict(zip(modules, pool.map(help_of, modules), strict=True))
    failed = {m: (modules[m], run.returncode, run.stderr[-300:])
              for m, run in finished.items() if run.returncode != 0 or "usage" not in run.stdout}
    assert not failed, f"commands that do not answer --help: {failed}"


def readme_settings() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("### Settings", 1)[1].split("\n#", 1)[0]
    return _TABLE_ROW.findall(section)


def test_the_readme_settings_table_is_what_the_bot_reads() -> None:
    documented = readme_settings()
    read = _READ_SETTING.findall((REPO / "bot" / "config.py").read_text(encoding="utf-8"))
    assert len(documented) == len(set(documented)), "a setting is listed twice"
    assert set(documented) == set(read), (
        f"in the README only: {set(documented) - set(read)}; "
        f"read by bot/config.py only: {set(read) - set(documented)}"
    )


@pytest.mark.parametrize("name", readme_settings())
def test_every_readme_setting_is_in_the_env_example(name: str) -> None:
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    assert re.search(rf"^{name}=", example, re.MULTILINE), f"{name} is not in .env.example"
