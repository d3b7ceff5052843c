"""Household profiles never share a place: folders, token files, sink folders, names.

A household where two members would share an output folder, a state or login folder, a
token file or a sink folder is refused with one ``Error:`` line naming both profiles and
the place (their files would be mixed, or one member's login read as the other's). Each
profile's tokens are 0600 in a 0700 folder of its own; a token file is never read through
a symlink nor from another user's file; profile names that could reach outside
``profiles/`` or collide after normalization are refused.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest
from conftest import cli

from peloton_export.config import Config, load_config
from peloton_export.errors import ConfigError, UploadError
from peloton_export.net.tokens import TokenStore
from peloton_export.profiles import OUTPUT_SUBFOLDERS, check_name, load_profiles, resolve_profile
from peloton_export.source.client.factory import TOKEN_FILE
from peloton_export.source.client.tokens import Token
from peloton_export.source.client.tokens import TokenStore as PelotonTokens

TOKEN = {"format": 1, "access_token": "a.b.c", "expires_at": 4102444800, "source": "token"}


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The default profile's folders in ``tmp_path``, the cwd there too (relative output folders)."""
    for name, sub in (
        ("PELOTON_EXPORT_CONFIG_DIR", "config"),
        ("PELOTON_EXPORT_STATE_DIR", "state"),
        ("PELOTON_EXPORT_DATA_DIR", "data"),
        ("PELOTON_EXPORT_ARCHIVE", "data/archive"),
    ):
        monkeypatch.setenv(name, str(tmp_path / sub))
    for name in ("PELOTON_USERNAME", "PELOTON_PASSWORD", "PELOTON_EXPORT_TOKEN", "PELOTON_EXPORT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def household(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Config:
    path = tmp_path / "peloton.ini"
    path.write_text("[peloton-export]\nkeyring = false\n" + text.format(t=tmp_path), encoding="utf-8")
    monkeypatch.setenv("PELOTON_CONFIG", str(path))
    return load_config(environ={})


def one_error_line(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run the command line; it must exit 2 with one ``Error:`` line and no traceback."""
    assert cli(*args) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    ("sections", "place", "pair"),
    [
        # one output folder, spelled two ways (a trailing slash, a .. step)
        (
            "[profile:anna]\nusername = a\noutput_dir = {t}/out/shared\n"
            "[profile:ben]\nusername = b\noutput_dir = {t}/out/x/../shared/\n",
            "out/shared",
            ("anna", "ben"),
        ),
        # ben's output folder is anna's default one (<output_dir>/anna)
        (
            "[profile:anna]\nusername = a\n[profile:ben]\nusername = b\noutput_dir = exports/anna\n",
            "exports/anna",
            ("anna", "ben"),
        ),
        # one directory sink folder
        (
            "[profile:anna]\nusername = a\ndirectory.path = {t}/sink\n"
            "[profile:ben]\nusername = b\ndirectory.path = {t}/sink\n",
            "sink",
            ("anna", "ben"),
        ),
        # ben's sink folder is anna's output folder
        (
            "[profile:anna]\nusername = a\noutput_dir = {t}/anna\n"
            "[profile:ben]\nusername = b\ndirectory.path = {t}/anna\n",
            "anna",
            ("anna", "ben"),
        ),
        # ben's Strava token file is anna's
        (
            "[profile:anna]\nusername = a\nstrava.token_file = {t}/strava.json\n"
            "[profile:ben]\nusername = b\nstrava.token_file = {t}/strava.json\n",
            "strava.json",
            ("anna", "ben"),
        ),
        # anna's Strava token file is the default member's
        (
            "[plugin:strava]\ntoken_file = {t}/parent-strava.json\n"
            "[profile:anna]\nusername = a\nstrava.token_file = {t}/parent-strava.json\n",
            "parent-strava.json",
            ("default", "anna"),
        ),
        # anna writes into the default member's output folder
        (
            "output_dir = {t}/Peloton\n[profile:anna]\nusername = a\noutput_dir = {t}/Peloton\n",
            "Peloton",
            ("default", "anna"),
        ),
        # a profile named parquet: its folder would be the default's Parquet dataset
        (
            "output_dir = {t}/Peloton\n[profile:parquet]\nusername = a\n",
            "Peloton/parquet",
            ("default", "parquet"),
        ),
    ],
)
def test_two_profiles_sharing_a_place_are_refused_naming_both(
    dirs: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sections: str,
    place: str,
    pair: tuple[str, str],
) -> None:
    config = household(dirs, monkeypatch, sections)
    real = Path(os.path.realpath(dirs)) / place
    expected = f"profiles {pair[0]} and {pair[1]} share one place, {real} ("
    with pytest.raises(ConfigError) as raised:
        load_profiles(config, environ={})
    assert str(raised.value).startswith(expected) and "\n" not in str(raised.value)
    # every command that would run one of them, and the household's
    for args in (("--profile", pair[1], "status"), ("status",), ("watch", "--once")):
        assert expected in one_error_line(capsys, *args)
    assert not (dirs / "exports").exists() and not (dirs / "sink").exists()


def test_a_profile_sharing_nothing_still_runs_beside_two_that_share(
    dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = household(
        dirs,
        monkeypatch,
        "[profile:anna]\nusername = a\ndirectory.path = {t}/sink\n"
        "[profile:ben]\nusername = b\ndirectory.path = {t}/sink\n[profile:carl]\nusername = c\n",
    )
    assert resolve_profile("carl", config=config).name == "carl"  # carl's run shares nothing
    assert resolve_profile("default", config=config).is_default
    with pytest.raises(ConfigError, match="profiles anna and ben share one place"):
        resolve_profile("ben", config=config)


def test_nested_output_folders_of_the_documented_layout_are_fine(
    dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/profiles.md: output_dir = ~/Peloton, each profile in ~/Peloton/NAME, the default
    member's files in ~/Peloton itself."""
    config = household(
        dirs,
        monkeypatch,
        "output_dir = {t}/Peloton\n[peloton]\nusername = parent\n"
        "[profile:anna]\nusername = a\n[profile:ben]\nusername = b\n",
    )
    profiles = load_profiles(config, environ={})
    assert [p.output_dir for p in profiles] == [dirs / "Peloton", dirs / "Peloton/anna", dirs / "Peloton/ben"]
    assert OUTPUT_SUBFOLDERS == ("parquet",)
    from peloton_export.formats.parquet import ROOT

    assert ROOT in OUTPUT_SUBFOLDERS  # the subfolder the dataset really takes


def test_a_symlinked_profile_folder_is_one_place_refused(
    dirs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = household(dirs, monkeypatch, "[profile:anna]\nusername = a\n[profile:ben]\nusername = b\n")
    ben = resolve_profile("ben", config=config)
    ben.config_dir.mkdir(parents=True)
    (ben.config_dir / TOKEN_FILE).write_text(json.dumps(TOKEN), encoding="utf-8")
    (dirs / "config" / "profiles" / "anna").symlink_to(ben.config_dir)  # anna's logins are ben's
    line = one_error_line(capsys, "--profile", "anna", "status")
    assert f"profiles anna and ben share one place, {os.path.realpath(ben.config_dir)}" in line
    assert "anna's login folder, ben's login folder" in line


def test_names_that_would_leave_the_profiles_folder_are_refused(
    dirs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for bad in (
        "../other",
        "a/b",
        "..",
        ".",
        "",
        "-x",
        "_x",
        "a" * 33,
        "ánna",
        "a\\b",
        "a b",
        "~root",
        "a:b",
    ):
        with pytest.raises(ConfigError, match="is not a profile name"):
            check_name(bad)
    assert check_name("  Anna ") == "anna" and check_name("my-kid_2") == "my-kid_2"
    for bad in ("../other", "a/b"):
        config = household(dirs, monkeypatch, f"[profile:{bad}]\nusername = x\n")
        with pytest.raises(ConfigError, match="is not a profile name"):
            load_profiles(config, environ={})
        assert "is not a profile name" in one_error_line(capsys, "status")
        assert "is not a profile name" in one_error_line(capsys, "--profile", bad, "status")
    # as a variable: PELOTON_EXPORT_PROFILE_<NAME>_<KEY> names cannot hold / or .
    household(dirs, monkeypatch, "")
    monkeypatch.setenv("PELOTON_EXPORT_PROFILE", "../other")
    assert "PELOTON_EXPORT_PROFILE: no profile '../other'" in one_error_line(capsys, "status")
    monkeypatch.delenv("PELOTON_EXPORT_PROFILE")
    assert not (dirs / "config" / "other").exists() and not (dirs / "other").exists()
    assert not (dirs / "state" / "profiles").exists()


def test_names_alike_after_normalization_are_refused(dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # my-kid and my_kid are two folders but one set of variables (PELOTON_EXPORT_PROFILE_MY_KID__*)
    with pytest.raises(
        ConfigError, match=r"\[profile:my-kid\] and \[profile:my_kid\] have the same variables"
    ):
        household(dirs, monkeypatch, "[profile:my-kid]\nusername = a\n[profile:my_kid]\nusername = b\n")
    with pytest.raises(ConfigError, match="are one profile"):
        household(dirs, monkeypatch, "[profile:Anna]\nusername = a\n[profile: anna]\nusername = b\n")


def test_each_profiles_tokens_are_0600_in_a_0700_folder_of_its_own(
    dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = household(dirs, monkeypatch, "[profile:anna]\nusername = a\n[profile:ben]\nusername = b\n")
    from peloton_export.paths import config_dir

    saved: dict[str, Path] = {}
    for name in ("anna", "ben"):
        with resolve_profile(name, config=config).activate():
            PelotonTokens(config_dir() / TOKEN_FILE, use_keyring=False).save(
                Token.from_json(json.dumps({**TOKEN, "access_token": f"{name}.b.c"}), Path("x"))
            )
            TokenStore(config_dir() / "strava-token.json").save({"access_token": f"{name}-strava"})
            saved[name] = config_dir()
    assert saved["anna"] != saved["ben"]
    for folder in saved.values():
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        for token in (folder / TOKEN_FILE, folder / "strava-token.json"):
            assert stat.S_IMODE(token.stat().st_mode) == 0o600
    with resolve_profile("ben", config=config).activate():
        token = PelotonTokens(config_dir() / TOKEN_FILE, use_keyring=False).load()
        assert token is not None and token.access_token == "ben.b.c"
        assert TokenStore(config_dir() / "strava-token.json").load() == {"access_token": "ben-strava"}


def test_a_token_file_symlinked_to_another_members_is_never_read(
    dirs: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    config = household(dirs, monkeypatch, "[profile:anna]\nusername = a\n[profile:ben]\nusername = b\n")
    anna, ben = resolve_profile("anna", config=config), resolve_profile("ben", config=config)
    ben.config_dir.mkdir(parents=True)
    anna.config_dir.mkdir(parents=True)
    (ben.config_dir / TOKEN_FILE).write_text(
        json.dumps({**TOKEN, "access_token": "ben.b.c"}), encoding="utf-8"
    )
    (ben.config_dir / "strava-token.json").write_text('{"access_token": "ben-strava"}', encoding="utf-8")
    (anna.config_dir / TOKEN_FILE).symlink_to(ben.config_dir / TOKEN_FILE)
    (anna.config_dir / "strava-token.json").symlink_to(ben.config_dir / "strava-token.json")
    with anna.activate():
        with caplog.at_level(logging.WARNING):
            assert PelotonTokens(anna.config_dir / TOKEN_FILE, use_keyring=False).load() is None
        assert "is a symlink (to " in caplog.text and "ben.b.c" not in caplog.text
        with pytest.raises(
            UploadError, match=r"strava-token.json: is a symlink \(to .*\), not a file of its own"
        ):
            TokenStore(anna.config_dir / "strava-token.json").load()
        # logging in again replaces the link with anna's own file; ben's is untouched
        TokenStore(anna.config_dir / "strava-token.json").save({"access_token": "anna-strava"})
    assert not (anna.config_dir / "strava-token.json").is_symlink()
    assert json.loads((ben.config_dir / "strava-token.json").read_text()) == {"access_token": "ben-strava"}


def test_a_token_file_of_another_user_is_refused_and_a_loose_one_tightened(
    dirs: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = dirs / "config" / "strava-token.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"access_token": "t"}', encoding="utf-8")
    path.chmod(0o644)  # restored from a backup without its mode
    with caplog.at_level(logging.WARNING):
        assert TokenStore(path).load() == {"access_token": "t"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "was readable by others (mode 0644): made 0600" in caplog.text
    # the file belongs to someone else: this process runs as another uid than the file's
    owner = path.stat().st_uid
    monkeypatch.setattr(os, "geteuid", lambda: owner + 4321)
    with pytest.raises(UploadError, match=rf"belongs to another user \(uid {owner}\), not to you"):
        TokenStore(path).load()


def test_a_bad_name_from_a_variable_is_named_by_the_variable(
    dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    household(dirs, monkeypatch, "[profile:anna]\nusername = a\n")
    for variable, problem in (
        ("PELOTON_EXPORT_PROFILE_A.B_USERNAME", "'a.b' is not a profile name"),
        ("PELOTON_EXPORT_PROFILE_DEFAULT_USERNAME", "'default' is the profile of the [peloton]"),
    ):
        config = load_config(environ={variable: "x"})
        with pytest.raises(ConfigError) as raised:
            load_profiles(config, environ={})
        assert str(raised.value).startswith(f"{variable}: {problem}"), raised.value
    # a file section keeps its own spelling; a variable of a file's profile is not an origin
    config = load_config(environ={"PELOTON_EXPORT_PROFILE_ANNA_FORMATS": "fit"})
    assert config.profile_origins == {} and config.profiles["anna"]["formats"] == "fit"
