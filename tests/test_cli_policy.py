"""``onwatch check`` and ``onwatch schema`` as a user runs them: the installed console script.

Each run starts a fresh interpreter (about a second of imports), so the module
starts every run at once, in parallel, and each test reads the one it needs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from onwatch.policy import policy_json_schema

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "onwatch.yaml"
ONWATCH = Path(sys.executable).parent / "onwatch"
PASSWORD = "hunter2-literal"

BROKEN = f"""\
apiVersion: onwatch/v1
setings:
  timezone: UTC
settings:
  retention:
    raw: 5x
services:
  - name: shop
  - name: shop
contacts:
  - name: alice
    channels:
      sms: twilio://AC0123:{PASSWORD}@15551230001/15551230002
"""

FILES = {"broken.yaml": BROKEN, "not-yaml.yaml": "apiVersion: [onwatch/v1\nservices: x\n"}

# Input that is no policy at all is covered case by case in tests/policy/test_loading.py;
# here two such cases prove the command turns them into a sentence, not a traceback.
RUNS: dict[str, list[str]] = {
    "example": ["check", str(EXAMPLE)],
    "broken": ["check", "broken.yaml"],
    "not-yaml": ["check", "not-yaml.yaml"],
    "missing": ["check", "absent.yaml"],
    "schema": ["schema"],
}


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working directory of every run, holding the policy files it checks."""
    path = tmp_path_factory.mktemp("cli")
    for name, content in FILES.items():
        (path / name).write_text(content, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs(workdir: Path) -> dict[str, Run]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SMTP_"))}
    env.update(COLUMNS="200", NO_COLOR="1", PYTHONIOENCODING="utf-8")
    started: dict[str, subprocess.Popen[str]] = {}
    try:
        for name, args in RUNS.items():
            started[name] = subprocess.Popen(
                [str(ONWATCH), *args],
                cwd=workdir,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
            )
        finished = {}
        for name, process in started.items():
            stdout, stderr = process.communicate(timeout=60)
            finished[name] = Run(process.returncode, stdout, stderr)
        return finished
    finally:
        for process in started.values():
            if process.poll() is None:
                process.kill()
                process.wait()


def test_the_console_script_is_installed_next_to_the_interpreter() -> None:
    assert ONWATCH.is_file(), f"{ONWATCH} is missing; install the package (make dev)"


def test_check_exits_0_and_says_valid_for_the_example(runs: dict[str, Run]) -> None:
    run = runs["example"]
    assert run.returncode == 0, run.stderr
    assert f"{EXAMPLE}: valid (services: 3, contacts: 3, monitors: " in run.stdout
    assert "Traceback" not in run.stderr


def test_check_notes_secret_references_it_cannot_resolve_without_failing(
    runs: dict[str, Run],
) -> None:
    run = runs["example"]
    assert run.returncode == 0
    assert (
        "note: TWILIO_TOKEN is not available here (used by contacts[alice].channels.sms.url, "
        "contacts[bob].channels.sms.url)" in run.stderr
    )


def test_check_exits_1_and_lists_every_problem_on_stderr(runs: dict[str, Run]) -> None:
    run = runs["broken"]
    assert run.returncode == 1
    assert run.stdout == ""
    assert run.stderr.splitlines() == [
        'broken.yaml:2:1: setings: unknown key "setings" (did you mean "settings"?)',
        'broken.yaml:6:10: settings.retention.raw: "5x" is not a duration (e.g. 30s, 5m, 1h)',
        'broken.yaml:9:11: services[1].name: "shop" is already used on line 8; '
        "names must be unique",
        "broken.yaml:13:12: contacts[0].channels.sms: holds a password in plain text; "
        "put it in an environment variable and write ${VAR} in its place, "
        "or give url_file: /path",
        "broken.yaml: 4 problems",
    ]


def test_check_starts_nothing_and_writes_nothing(runs: dict[str, Run], workdir: Path) -> None:
    assert runs["broken"].returncode == 1
    assert sorted(path.name for path in workdir.iterdir()) == sorted(FILES)


def test_check_never_prints_a_literal_password_it_refuses(runs: dict[str, Run]) -> None:
    run = runs["broken"]
    assert PASSWORD not in run.stdout + run.stderr


@pytest.mark.parametrize(
    ("name", "sentence"),
    [
        ("not-yaml", "not-yaml.yaml:2:9: not valid YAML: expected ',' or ']', but got ':'"),
        ("missing", "absent.yaml:1:1: no such file"),
    ],
)
def test_check_explains_input_that_is_no_policy_in_one_sentence(
    runs: dict[str, Run], name: str, sentence: str
) -> None:
    run = runs[name]
    assert run.returncode == 1
    assert run.stderr.splitlines() == [sentence, f"{RUNS[name][1]}: 1 problem"]
    assert "Traceback" not in run.stderr


def test_schema_prints_the_json_schema_of_the_policy(runs: dict[str, Run]) -> None:
    run = runs["schema"]
    assert run.returncode == 0, run.stderr
    schema = json.loads(run.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {"apiVersion", "settings", "services", "contacts"} <= set(schema["properties"])
    assert schema["required"] == ["apiVersion"]
    assert schema["additionalProperties"] is False
    assert schema == policy_json_schema()


def test_schema_spells_defaults_as_a_policy_does(runs: dict[str, Run]) -> None:
    schema = json.loads(runs["schema"].stdout)
    raw = schema["$defs"]["Retention"]["properties"]["raw"]
    assert raw["default"] == "7d"
    assert raw["pattern"] == r"^(\d+(\.\d+)?(ms|s|m|h|d|w))+$"


def test_schema_offers_the_channel_shorthand_and_the_file_form(runs: dict[str, Run]) -> None:
    schema = json.loads(runs["schema"].stdout)
    channels = schema["$defs"]["Contact"]["properties"]["channels"]
    choices = channels["additionalProperties"]["anyOf"]
    assert {"type": "string"}.items() <= choices[0].items()
    assert choices[1] == {"$ref": "#/$defs/Channel"}
    channel = schema["$defs"]["Channel"]
    assert set(channel["properties"]) == {"url", "url_file", "webhook", "secret", "secret_file"}
    assert channel["oneOf"] == [
        {"required": ["url"]},
        {"required": ["url_file"]},
        {"required": ["webhook"]},
    ]
