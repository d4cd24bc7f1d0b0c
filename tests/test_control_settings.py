"""Where the control socket goes when the box config does not say."""

from __future__ import annotations

import os

from appliance.control_settings import default_socket_path


def test_the_socket_goes_where_systemd_says(tmp_path):
    env = {"RUNTIME_DIRECTORY": "/run/tonic:/run/other", "XDG_RUNTIME_DIR": "/run/user/1000"}
    assert default_socket_path(env, tmp_path / "none") == "/run/tonic/control.sock"


def test_else_in_the_system_directory_when_writable_or_a_service_listens_there(tmp_path):
    system = tmp_path / "tonic"
    assert default_socket_path({}, system) == str(system / "control.sock")  # can be made
    system.mkdir()
    assert default_socket_path({}, system) == str(system / "control.sock")


def test_else_in_the_users_runtime_directory_then_a_private_tmp_directory(tmp_path):
    # Under a regular file, a directory can be neither found nor made, even by root.
    (tmp_path / "file").write_text("")
    system = tmp_path / "file" / "tonic"
    env = {"XDG_RUNTIME_DIR": "/run/user/1000"}
    assert default_socket_path(env, system) == "/run/user/1000/tonic/control.sock"
    assert default_socket_path({}, system) == f"/tmp/tonic-{os.getuid()}/control.sock"
