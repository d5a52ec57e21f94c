"""Instance settings: defaults, onwatch.toml, ONWATCH_* variables, masking, errors.

Every test passes its environment as a dict and writes real files in tmp_path;
none depends on the process environment or the working directory's contents.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError

from onwatch.errors import OnwatchError
from onwatch.settings import InstanceSettings, SettingsError, env_var, load_settings

KEY = "Zq7-secret-key-VALUE-that-must-never-leak-0123456789"
DB_PASSWORD = "db-Pa55word-never-shown"
SMTP_PASSWORD = "smtp-Pa55word-never-shown"


@pytest.fixture(autouse=True)
def _empty_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # ./onwatch.toml is read when present, so each test starts in a clean directory.
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)


def write_toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "onwatch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_for(config_path: Path | None = None, /, **environ: str) -> SettingsError:
    with pytest.raises(SettingsError) as caught:
        load_settings(config_path, environ)
    return caught.value


def test_defaults_apply_when_neither_file_nor_environment_sets_anything() -> None:
    settings = load_settings(environ={})

    assert settings.public_url == "http://127.0.0.1:8080"
    assert settings.secret_key is None
    assert settings.secret_key_file is None
    assert settings.database_url == "sqlite:///./onwatch.db"
    assert settings.listen == "127.0.0.1:8080"
    assert settings.policy_path == Path("onwatch.yaml")
    assert settings.smtp_sender is None
    assert settings.smtp_url is None
    assert settings.config_file is None


def test_the_file_overrides_defaults_and_the_environment_overrides_the_file(
    tmp_path: Path,
) -> None:
    path = write_toml(tmp_path, 'listen = "0.0.0.0:9000"\npolicy_path = "/etc/onwatch/p.yaml"\n')

    settings = load_settings(path, {"ONWATCH_LISTEN": "[::]:9100"})

    assert settings.listen == "[::]:9100"
    assert settings.policy_path == Path("/etc/onwatch/p.yaml")
    assert settings.database_url == "sqlite:///./onwatch.db"


def test_each_value_remembers_whether_it_came_from_default_file_or_env(tmp_path: Path) -> None:
    path = write_toml(tmp_path, 'listen = "0.0.0.0:9000"\npolicy_path = "p.yaml"\n')

    settings = load_settings(path, {"ONWATCH_LISTEN": "0.0.0.0:9100"})

    assert settings.origin("listen") == "env"
    assert settings.origin("policy_path") == "file"
    assert settings.origin("database_url") == "default"
    assert settings.config_file == path


def test_asking_for_the_origin_of_an_unknown_setting_is_an_error() -> None:
    with pytest.raises(KeyError):
        load_settings(environ={}).origin("lisen")


def test_onwatch_config_names_the_file_to_read(tmp_path: Path) -> None:
    path = write_toml(tmp_path, 'smtp_sender = "onwatch <alerts@example.com>"\n')

    settings = load_settings(environ={"ONWATCH_CONFIG": str(path)})

    assert settings.smtp_sender == "onwatch <alerts@example.com>"
    assert settings.config_file == path


def test_an_explicit_config_path_wins_over_onwatch_config(tmp_path: Path) -> None:
    chosen = write_toml(tmp_path, 'listen = "127.0.0.1:1111"\n')
    other = tmp_path / "other.toml"
    other.write_text('listen = "127.0.0.1:2222"\n', encoding="utf-8")

    settings = load_settings(chosen, {"ONWATCH_CONFIG": str(other)})

    assert settings.listen == "127.0.0.1:1111"


def test_onwatch_toml_in_the_working_directory_is_read_when_no_file_is_named() -> None:
    Path("onwatch.toml").write_text('listen = "127.0.0.1:7000"\n', encoding="utf-8")

    settings = load_settings(environ={})

    assert settings.listen == "127.0.0.1:7000"
    assert settings.origin("listen") == "file"


def test_a_named_config_file_that_does_not_exist_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"

    assert str(error_for(ONWATCH_CONFIG=str(missing))) == (
        f"ONWATCH_CONFIG: config file {missing} not found"
    )
    assert str(missing) in str(error_for(missing))


def test_unknown_keys_in_the_file_are_errors_naming_the_key_and_the_file(tmp_path: Path) -> None:
    path = write_toml(tmp_path, 'lisen = "127.0.0.1:8080"\n')

    message = str(error_for(path))

    assert message == f"{path}: unknown setting 'lisen'; did you mean 'listen'?"


def test_a_table_in_the_file_is_an_unknown_setting(tmp_path: Path) -> None:
    path = write_toml(tmp_path, '[smtp]\nurl = "smtp://mail:25"\n')

    assert f"{path}: unknown setting 'smtp'" in str(error_for(path))


def test_a_file_that_is_not_toml_is_an_error_naming_the_file_and_line(tmp_path: Path) -> None:
    path = write_toml(tmp_path, 'listen = "127.0.0.1:8080"\nthis is not toml\n')

    message = str(error_for(path))

    assert message.startswith(f"{path}: not valid TOML:")
    assert "line 2" in message


def test_empty_environment_variables_count_as_unset(tmp_path: Path) -> None:
    path = write_toml(tmp_path, 'listen = "0.0.0.0:9000"\n')

    settings = load_settings(path, {"ONWATCH_LISTEN": "", "ONWATCH_SMTP_URL": ""})

    assert settings.listen == "0.0.0.0:9000"
    assert settings.smtp_url is None


def test_the_process_environment_is_not_read_when_an_environ_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ONWATCH_LISTEN", "127.0.0.1:5555")

    assert load_settings(environ={}).listen == "127.0.0.1:8080"
    assert load_settings().listen == "127.0.0.1:5555"


def test_constructing_settings_directly_reads_no_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ONWATCH_LISTEN", "127.0.0.1:5555")

    assert InstanceSettings().listen == "127.0.0.1:8080"


def test_settings_are_frozen() -> None:
    settings = load_settings(environ={})

    with pytest.raises(ValidationError):
        settings.listen = "0.0.0.0:80"  # type: ignore[misc]


def test_the_public_url_loses_its_trailing_slash() -> None:
    settings = load_settings(environ={"ONWATCH_PUBLIC_URL": "https://status.example.com/ops/"})

    assert settings.public_url == "https://status.example.com/ops"


@pytest.mark.parametrize(
    "listen", ["127.0.0.1:8080", "0.0.0.0:80", "localhost:65535", "[::1]:8080", "[::]:443"]
)
def test_listen_accepts_host_and_port_with_ipv6_in_brackets(listen: str) -> None:
    assert load_settings(environ={"ONWATCH_LISTEN": listen}).listen == listen


@pytest.mark.parametrize(
    ("listen", "address"),
    [
        ("192.0.2.7:80", ("192.0.2.7", 80)),
        ("localhost:8080", ("localhost", 8080)),
        ("[::1]:9", ("::1", 9)),
    ],
)
def test_listen_address_gives_host_and_port_for_the_server(
    listen: str, address: tuple[str, int]
) -> None:
    assert load_settings(environ={"ONWATCH_LISTEN": listen}).listen_address == address


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("ONWATCH_LISTEN", "nope", '"nope" is not host:port (e.g. 127.0.0.1:8080'),
        ("ONWATCH_LISTEN", "::1:8080", "is not host:port"),
        ("ONWATCH_LISTEN", "[nope]:8080", "is not host:port"),
        ("ONWATCH_LISTEN", "127.0.0.1:0", "is not host:port"),
        ("ONWATCH_LISTEN", "127.0.0.1:65536", "is not host:port"),
        ("ONWATCH_LISTEN", ":8080", "is not host:port"),
        ("ONWATCH_PUBLIC_URL", "ftp://example.com", '"ftp://example.com" is not an http(s) URL'),
        ("ONWATCH_PUBLIC_URL", "status.example.com", "is not an http(s) URL"),
        ("ONWATCH_PUBLIC_URL", "https://[::1", "is not an http(s) URL"),
        ("ONWATCH_PUBLIC_URL", "https://example.com/?a=1", "scheme://host[:port][/path] only"),
        ("ONWATCH_DATABASE_URL", "mysql://db/onwatch", "is not a SQLite or PostgreSQL URL"),
        ("ONWATCH_DATABASE_URL", "onwatch.db", "the value is not a SQLite or PostgreSQL URL"),
        ("ONWATCH_SMTP_SENDER", "alerts", "'alerts' is not an email address"),
        ("ONWATCH_SMTP_SENDER", "a@b.c\nBcc: x@y.z", "is not an email address"),
        ("ONWATCH_SMTP_URL", "http://mail.example.com", "is not smtp://host[:port]"),
    ],
)
def test_a_bad_environment_value_is_an_error_naming_the_variable(
    variable: str, value: str, expected: str
) -> None:
    message = str(error_for(**{variable: value}))

    assert message.startswith(f"{variable}: ")
    assert expected in message


def test_a_bad_value_in_the_file_is_an_error_naming_the_file_and_key(tmp_path: Path) -> None:
    path = write_toml(tmp_path, 'listen = "nope"\n')

    assert str(error_for(path)).startswith(f'{path}: listen: "nope" is not host:port')


def test_a_value_of_the_wrong_type_in_the_file_names_the_file_and_key(tmp_path: Path) -> None:
    path = write_toml(tmp_path, "listen = 8080\n")

    assert str(error_for(path)).startswith(f"{path}: listen: ")


def test_every_bad_value_is_reported_at_once(tmp_path: Path) -> None:
    path = write_toml(tmp_path, 'public_url = "ftp://x"\n')

    lines = str(error_for(path, ONWATCH_LISTEN="nope")).splitlines()

    assert [line.split(":")[0] for line in lines] == [str(path), "ONWATCH_LISTEN"]


def test_settings_error_is_an_onwatch_error() -> None:
    assert issubclass(SettingsError, OnwatchError)


def test_the_secret_key_is_read_from_secret_key_file_and_stripped(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text(f"\n  {KEY}\n", encoding="utf-8")

    settings = load_settings(environ={"ONWATCH_SECRET_KEY_FILE": str(key_file)})

    assert settings.effective_secret_key() == KEY
    assert settings.secret_key_file == key_file
    assert not settings.secret_key_is_ephemeral
    assert settings.origin("secret_key") == "env"


def test_secret_key_file_can_be_set_in_the_file(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text(KEY, encoding="utf-8")
    path = write_toml(tmp_path, f'secret_key_file = "{key_file}"\n')

    assert load_settings(path, {}).effective_secret_key() == KEY


def test_setting_both_secret_key_and_secret_key_file_is_an_error_naming_both(
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text(KEY, encoding="utf-8")
    path = write_toml(tmp_path, f'secret_key_file = "{key_file}"\n')

    message = str(error_for(path, ONWATCH_SECRET_KEY=KEY))

    assert message.startswith(f"ONWATCH_SECRET_KEY and {path}: secret_key_file: ")
    assert "keep only one" in message
    assert KEY not in message


def test_a_missing_secret_key_file_is_an_error_naming_the_setting(tmp_path: Path) -> None:
    missing = tmp_path / "absent"

    message = str(error_for(ONWATCH_SECRET_KEY_FILE=str(missing)))

    assert message == f"ONWATCH_SECRET_KEY_FILE: cannot read {missing}: No such file or directory"


def test_an_empty_secret_key_file_is_an_error(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text("\n", encoding="utf-8")

    assert str(error_for(ONWATCH_SECRET_KEY_FILE=str(key_file))) == (
        f"ONWATCH_SECRET_KEY_FILE: {key_file} is empty"
    )


def test_a_short_secret_key_is_rejected_without_quoting_it() -> None:
    message = str(error_for(ONWATCH_SECRET_KEY="tiny-Secret"))

    assert message.startswith("ONWATCH_SECRET_KEY: the key is too short (11 chars")
    assert "tiny-Secret" not in message


def test_without_a_configured_key_a_random_key_is_used_and_flagged_ephemeral() -> None:
    settings = load_settings(environ={})
    other = load_settings(environ={})

    assert settings.secret_key_is_ephemeral
    assert settings.effective_secret_key() == settings.effective_secret_key()
    assert len(settings.effective_secret_key()) >= 32
    assert settings.effective_secret_key() != other.effective_secret_key()


def test_a_configured_key_is_used_and_not_ephemeral() -> None:
    settings = load_settings(environ={"ONWATCH_SECRET_KEY": KEY})

    assert settings.effective_secret_key() == KEY
    assert not settings.secret_key_is_ephemeral


def secretive_settings() -> InstanceSettings:
    return load_settings(
        environ={
            "ONWATCH_SECRET_KEY": KEY,
            "ONWATCH_DATABASE_URL": f"postgresql+psycopg://onwatch:{DB_PASSWORD}@db:5432/ow",
            "ONWATCH_SMTP_URL": f"smtp://alerts:{SMTP_PASSWORD}@mail.example.com:587",
        }
    )


def test_describe_lists_every_setting_with_its_environment_variable() -> None:
    rows = load_settings(environ={}).describe()

    assert [(name, var) for name, var, _ in rows] == [
        (name, f"ONWATCH_{name.upper()}") for name in InstanceSettings.model_fields
    ]
    assert env_var("listen") == "ONWATCH_LISTEN"


def test_describe_masks_the_secret_key_and_url_passwords() -> None:
    shown = {name: value for name, _, value in secretive_settings().describe()}

    assert shown["secret_key"] == f"*** (set, {len(KEY)} chars)"
    assert shown["database_url"] == "postgresql+psycopg://onwatch:***@db:5432/ow"
    assert shown["smtp_url"] == "smtp://alerts:***@mail.example.com:587"


def test_describe_says_when_a_random_key_is_in_use() -> None:
    shown = {name: value for name, _, value in load_settings(environ={}).describe()}

    assert shown["secret_key"].startswith("(not set)")
    assert "random key" in shown["secret_key"]


@pytest.mark.parametrize("render", [str, repr, lambda s: str(s.describe())])
def test_no_secret_appears_when_settings_are_shown(
    render: Callable[[InstanceSettings], str],
) -> None:
    text = render(secretive_settings())

    for secret in (KEY, DB_PASSWORD, SMTP_PASSWORD):
        assert secret not in text


@pytest.mark.parametrize(
    "extra",
    [
        {"ONWATCH_LISTEN": "nope"},
        {"ONWATCH_DATABASE_URL": f"mysql://root:{DB_PASSWORD}@db/ow"},
        {"ONWATCH_DATABASE_URL": f"root:{DB_PASSWORD}@db/ow"},
        {"ONWATCH_SMTP_URL": f"http://alerts:{SMTP_PASSWORD}@mail"},
        {"ONWATCH_PUBLIC_URL": f"https://admin:{DB_PASSWORD}@status.example.com"},
        {"ONWATCH_SECRET_KEY_FILE": "/nonexistent/secret"},
    ],
)
def test_no_settings_error_or_its_traceback_quotes_a_secret(extra: dict[str, str]) -> None:
    error = error_for(ONWATCH_SECRET_KEY=KEY, **extra)
    shown = str(error) + "".join(traceback.format_exception(error))

    for secret in (KEY, DB_PASSWORD, SMTP_PASSWORD):
        assert secret not in shown


DOCS = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def test_the_documentation_names_every_setting_and_its_variable() -> None:
    text = DOCS.read_text(encoding="utf-8")

    for name in InstanceSettings.model_fields:
        assert f"| `{name}` | `{env_var(name)}` |" in text


def test_the_example_onwatch_toml_in_the_documentation_loads(tmp_path: Path) -> None:
    example = DOCS.read_text(encoding="utf-8").split("```toml\n")[1].split("```")[0]
    key_file = tmp_path / "secret_key"
    key_file.write_text(KEY, encoding="utf-8")
    path = write_toml(tmp_path, example.replace("/etc/onwatch/secret_key", str(key_file)))

    settings = load_settings(path, {})

    assert settings.public_url == "https://status.example.com"
    assert settings.effective_secret_key() == KEY
    assert {settings.origin(name) for name in InstanceSettings.model_fields} == {"file"}
