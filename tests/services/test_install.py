"""services/install.sh, run for real into a throwaway root: the files land, the
therapist's config survives a second run, a second run changes nothing, and
uninstalling keeps the profiles."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]
# What install.sh reads from a checkout.
SOURCES = ("appliance", "services", "hardware", "docs", "pyproject.toml", "README.md")
EXAMPLE_CONFIG = "# the example box config\nswitch_pins = [17, 27, 22, 23]\n"
THERAPIST_CONFIG = "# tuned for this room\nswitch_pins = [5, 6]\n"
INSTALL_TIMEOUT_S = 300  # pip builds the app; generous, so a busy machine never fails it

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="creating the tonic user's files needs root"),
    pytest.mark.skipif(
        shutil.which("systemd-sysusers") is None or shutil.which("systemd-tmpfiles") is None,
        reason="systemd-sysusers and systemd-tmpfiles are not installed",
    ),
]


@dataclass
class Installed:
    src: Path
    root: Path
    runs: list[subprocess.CompletedProcess[str]]

    def install(self, *extra: str) -> subprocess.CompletedProcess[str]:
        p = subprocess.run(
            [str(self.src / "services" / "install.sh"), "--root", str(self.root), *extra],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_S,
        )
        assert p.returncode == 0, p.stdout + p.stderr
        self.runs.append(p)
        return p

    def path(self, inside: str) -> Path:
        return self.root / inside.lstrip("/")


def checkout_copy(dest: Path) -> Path:
    """A copy of this checkout, with an example config of its own."""
    for name in SOURCES:
        source = CHECKOUT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, dest / name)
    (dest / "hardware" / "tonic.toml.example").write_text(EXAMPLE_CONFIG)
    return dest


def fresh_root(root: Path) -> Path:
    """A root with the host's accounts, as a fresh Debian has audio but no gpio or i2c."""
    (root / "etc").mkdir(parents=True)
    for name in ("passwd", "group", "shadow", "gshadow"):
        lines = Path("/etc", name).read_text().splitlines(keepends=True)
        keep = [ln for ln in lines if ln.split(":")[0] not in ("tonic", "gpio", "i2c")]
        (root / "etc" / name).write_text("".join(keep))
    return root


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Installed once; the tests below run it again, then uninstall it."""
    base = tmp_path_factory.mktemp("install")
    box = Installed(checkout_copy(base / "src"), fresh_root(base / "root"), runs=[])
    box.install("--no-apt", "--no-deps")
    return box


def account(root: Path, table: str, name: str) -> list[str]:
    for line in (root / "etc" / table).read_text().splitlines():
        fields = line.split(":")
        if fields[0] == name:
            return fields
    raise AssertionError(f"no {name} in {table}")


def test_the_system_files_land_where_systemd_reads_them(installed: Installed):
    placed = {
        "/etc/systemd/system/tonic.service": "services/tonic.service",
        "/etc/sysusers.d/tonic.conf": "services/tonic.sysusers",
        "/etc/tmpfiles.d/tonic.conf": "services/tonic.tmpfiles",
        "/etc/udev/rules.d/99-tonic.rules": "hardware/99-tonic.rules",
        "/etc/modules-load.d/tonic.conf": "services/tonic-modules.conf",
        "/opt/tonic/docs/pi-setup.md": "docs/pi-setup.md",
    }
    for target, source in placed.items():
        assert installed.path(target).read_bytes() == (installed.src / source).read_bytes()
        assert installed.path(target).stat().st_mode & 0o777 == 0o644


def test_the_service_is_enabled_for_the_next_boot(installed: Installed):
    wants = installed.path("/etc/systemd/system/multi-user.target.wants/tonic.service")
    assert os.readlink(wants) == "/etc/systemd/system/tonic.service"


def test_the_app_is_in_its_own_venv_and_on_the_path(installed: Installed):
    tonic = installed.path("/opt/tonic/venv/bin/tonic")
    assert os.access(tonic, os.X_OK)
    assert os.readlink(installed.path("/usr/local/bin/tonic")) == "/opt/tonic/venv/bin/tonic"
    # Non-editable: the venv holds its own copy of the package, not a link to the checkout.
    python = installed.path("/opt/tonic/venv/bin/python")
    where = subprocess.run(
        [str(python), "-I", "-c", "import appliance; print(appliance.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(installed.path("/opt/tonic/venv")))


def test_the_tonic_user_is_in_the_device_groups(installed: Installed):
    user = account(installed.root, "passwd", "tonic")
    assert user[5:] == ["/var/lib/tonic", "/usr/sbin/nologin"]
    for group in ("audio", "gpio", "i2c"):
        assert "tonic" in account(installed.root, "group", group)[3].split(",")


def test_the_profiles_directory_is_the_service_users_alone(installed: Installed):
    uid = int(account(installed.root, "passwd", "tonic")[2])
    for inside in ("/var/lib/tonic", "/var/lib/tonic/profiles"):
        st = installed.path(inside).stat()
        assert (st.st_uid, st.st_mode & 0o777) == (uid, 0o750)


def test_the_example_config_is_copied_when_there_is_none(installed: Installed):
    assert installed.path("/etc/tonic/tonic.toml").read_text() == EXAMPLE_CONFIG


def test_a_second_run_keeps_the_therapists_config_and_changes_nothing_else(
    installed: Installed,
):
    config = installed.path("/etc/tonic/tonic.toml")
    config.write_text(THERAPIST_CONFIG)
    profile = installed.path("/var/lib/tonic/profiles/ann.toml")
    profile.write_text('name = "Ann"\n')
    accounts = {t: installed.path(f"/etc/{t}").read_text() for t in ("passwd", "group")}
    unit = installed.path("/etc/systemd/system/tonic.service").read_bytes()

    second = installed.install("--no-apt", "--no-deps")

    assert config.read_text() == THERAPIST_CONFIG
    assert "keeping the existing /etc/tonic/tonic.toml" in second.stdout
    assert profile.read_text() == 'name = "Ann"\n'
    assert {t: installed.path(f"/etc/{t}").read_text() for t in accounts} == accounts
    assert installed.path("/etc/systemd/system/tonic.service").read_bytes() == unit


def test_unknown_options_are_refused_in_one_line(tmp_path: Path):
    p = subprocess.run(
        [str(CHECKOUT / "services" / "install.sh"), "--root", str(tmp_path), "--frobnicate"],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_S,
    )
    assert p.returncode != 0
    assert p.stderr.strip().splitlines() == [
        "tonic install: error: unknown option: --frobnicate (see --help)"
    ]


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_the_script_passes_shellcheck():
    p = subprocess.run(
        ["shellcheck", str(CHECKOUT / "services" / "install.sh")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 0, p.stdout


def test_uninstall_removes_the_app_and_keeps_profiles_and_config(installed: Installed):
    # Last in this module on purpose: it takes away what the tests above look at.
    installed.path("/var/lib/tonic/profiles/bob.toml").write_text('name = "Bob"\n')

    installed.install("--uninstall")

    for gone in (
        "/opt/tonic",
        "/usr/local/bin/tonic",
        "/etc/systemd/system/tonic.service",
        "/etc/systemd/system/multi-user.target.wants/tonic.service",
        "/etc/sysusers.d/tonic.conf",
        "/etc/udev/rules.d/99-tonic.rules",
    ):
        assert not os.path.lexists(installed.path(gone)), gone
    assert installed.path("/var/lib/tonic/profiles/bob.toml").read_text() == 'name = "Bob"\n'
    assert installed.path("/etc/tonic/tonic.toml").exists()
    assert account(installed.root, "passwd", "tonic")
