#!/bin/bash
# Install Tonic as a service on Raspberry Pi OS Lite or Debian 12, from this
# checkout. Run as root (`sudo make install`); safe to run again to update.
#
#   services/install.sh [--root DIR] [--no-apt] [--no-systemctl] [--no-deps]
#   services/install.sh --uninstall [--root DIR] [--no-systemctl]
#
# What it does, in order:
#   1. apt: the system packages the box needs at run time (--no-apt skips it);
#   2. the app into its own venv, /opt/tonic/venv, and `tonic` on the PATH;
#   3. the unit, sysusers.d, tmpfiles.d, udev and modules-load.d files;
#   4. the tonic user and its directories (systemd-sysusers, systemd-tmpfiles);
#   5. /etc/tonic/tonic.toml from hardware/tonic.toml.example, only if absent:
#      the therapist's own config is never overwritten;
#   6. I2C switched on (raspi-config, on Raspberry Pi OS);
#   7. the service enabled and (re)started.
#
# --root DIR installs into DIR instead of / (for tests and staging): no apt,
# no udev or raspi-config, and systemctl only offline (`systemctl --root`).
# The venv's scripts then name DIR in their paths.
# --uninstall removes the app, the unit and the system files, and leaves the
# profiles (/var/lib/tonic), the config (/etc/tonic) and the tonic user.

set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=""
DO_APT=1
DO_SYSTEMCTL=1
DO_DEPS=1
ACTION=install
PYTHON=${PYTHON:-/usr/bin/python3}

# What the box needs from the OS. The Makefile passes its own APT_PACKAGES
# (build tools, FluidSynth, a soundfont); this is the same list for a direct run.
BASE_PACKAGES=${TONIC_APT_PACKAGES:-"python3-venv python3-dev gcc pkg-config libsystemd-dev libfluidsynth3 timgm6mb-soundfont"}
# At run time on the box: ALSA's tools to see and test the sound card, and
# i2c-tools (i2cdetect) to look for the pad board.
RUNTIME_PACKAGES="alsa-utils i2c-tools"

usage() {
	sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
}

say() { printf 'tonic install: %s\n' "$*"; }
die() {
	printf 'tonic install: error: %s\n' "$*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case "$1" in
	--root)
		[ $# -ge 2 ] || die "--root needs a directory"
		ROOT=$(cd "$2" && pwd) || die "no such directory: $2"
		shift
		;;
	--no-apt) DO_APT=0 ;;
	--no-systemctl) DO_SYSTEMCTL=0 ;;
	--no-deps) DO_DEPS=0 ;;
	--uninstall) ACTION=uninstall ;;
	-h | --help)
		usage
		exit 0
		;;
	*) die "unknown option: $1 (see --help)" ;;
	esac
	shift
done

# Where each file goes, relative to the root.
OPT=/opt/tonic
VENV=$OPT/venv
UNIT=/etc/systemd/system/tonic.service
SYSUSERS=/etc/sysusers.d/tonic.conf
TMPFILES=/etc/tmpfiles.d/tonic.conf
UDEV_RULES=/etc/udev/rules.d/99-tonic.rules
MODULES=/etc/modules-load.d/tonic.conf
POLKIT_RULES=/etc/polkit-1/rules.d/50-tonic-power.rules
CONFIG=/etc/tonic/tonic.toml
LINK=/usr/local/bin/tonic

# systemd is running the machine (not a container, a chroot or this build box).
systemd_running() {
	[ -z "$ROOT" ] && [ -d /run/systemd/system ]
}

place() { # place MODE SOURCE TARGET: copy a file into the root, replacing it
	install -D -m "$1" "$2" "$ROOT$3"
}

install_apt() {
	if [ "$DO_APT" = 0 ] || [ -n "$ROOT" ]; then
		say "skipping apt (--no-apt or --root)"
		return
	fi
	local missing="" p
	# Ask dpkg first, so an installed box never touches the network.
	for p in $BASE_PACKAGES $RUNTIME_PACKAGES; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing="$missing $p"
	done
	if [ -z "$missing" ]; then
		say "system packages: all present"
		return
	fi
	say "installing system packages:$missing"
	apt-get update -qq
	# shellcheck disable=SC2086  # the list is meant to split into words
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
}

install_app() {
	local venv=$ROOT$VENV stage
	"$PYTHON" -m venv --help >/dev/null 2>&1 || die "$PYTHON has no venv module (apt install python3-venv)"
	# A venv whose Python went away (an OS upgrade) is rebuilt, not patched.
	if [ -x "$venv/bin/python" ] && ! "$venv/bin/python" -c '' 2>/dev/null; then
		say "the venv's Python is broken; rebuilding $VENV"
		rm -rf "$venv"
	fi
	if [ ! -x "$venv/bin/python" ]; then
		say "creating $VENV"
		"$PYTHON" -m venv "$venv"
	fi
	# Build from a copy: pip builds in the source tree, and as root it would
	# leave root-owned build files in the therapist's checkout.
	stage=$(mktemp -d)
	# shellcheck disable=SC2064  # expand now: $stage is local
	trap "rm -rf '$stage'" EXIT
	cp -r "$SRC/appliance" "$SRC/pyproject.toml" "$SRC/README.md" "$stage/"
	find "$stage" -name __pycache__ -prune -exec rm -rf {} +
	if [ "$DO_DEPS" = 1 ]; then
		say "installing the app and its Python packages into $VENV"
		"$venv/bin/pip" install -q --upgrade pip
		"$venv/bin/pip" install -q --upgrade "$stage"
		# GPIO on the Pi goes through lgpio; off an ARM board there is no GPIO.
		case "$(uname -m)" in
		aarch64 | arm*)
			"$venv/bin/pip" install -q --upgrade lgpio ||
				say "warning: lgpio did not install; gpiozero falls back to slower GPIO access"
			;;
		esac
	else
		# The app alone, offline, for a venv that already has the rest.
		say "installing the app into $VENV (without its dependencies)"
		"$venv/bin/pip" install -q --no-deps --force-reinstall "$stage"
	fi
	rm -rf "$stage"
	trap - EXIT
	mkdir -p "$ROOT$(dirname "$LINK")"
	ln -sfn "$VENV/bin/tonic" "$ROOT$LINK"
	place 0644 "$SRC/docs/pi-setup.md" "$OPT/docs/pi-setup.md"
}

install_system_files() {
	place 0644 "$SRC/services/tonic.service" "$UNIT"
	place 0644 "$SRC/services/tonic.sysusers" "$SYSUSERS"
	place 0644 "$SRC/services/tonic.tmpfiles" "$TMPFILES"
	place 0644 "$SRC/hardware/99-tonic.rules" "$UDEV_RULES"
	place 0644 "$SRC/services/tonic-modules.conf" "$MODULES"
	place 0644 "$SRC/services/50-tonic-power.rules" "$POLKIT_RULES"
	say "installed the unit, sysusers.d, tmpfiles.d, udev and modules-load.d files"
	if [ -n "$ROOT" ]; then
		systemd-sysusers --root="$ROOT" "$ROOT$SYSUSERS"
		systemd-tmpfiles --root="$ROOT" --create "$ROOT$TMPFILES"
	else
		systemd-sysusers "$SYSUSERS"
		systemd-tmpfiles --create "$TMPFILES"
	fi
	say "the tonic user, /etc/tonic and /var/lib/tonic/profiles are in place"
}

install_config() {
	local example=$SRC/hardware/tonic.toml.example
	if [ -e "$ROOT$CONFIG" ]; then
		say "keeping the existing $CONFIG"
	elif [ -f "$example" ]; then
		place 0644 "$example" "$CONFIG"
		say "wrote $CONFIG from hardware/tonic.toml.example; edit it to match the wiring"
	else
		say "no hardware/tonic.toml.example in this checkout; the box uses its built-in wiring"
	fi
}

enable_hardware() {
	if [ -n "$ROOT" ]; then
		return
	fi
	if command -v raspi-config >/dev/null 2>&1; then
		# 0 means "enable" in raspi-config's non-interactive mode.
		if raspi-config nonint do_i2c 0; then
			say "I2C is enabled (for the pad board)"
		else
			say "warning: raspi-config could not enable I2C; the pads will stay offline"
		fi
	fi
	modprobe i2c-dev 2>/dev/null || true
	if command -v udevadm >/dev/null 2>&1 && systemd_running; then
		udevadm control --reload
		udevadm trigger --subsystem-match=gpio --subsystem-match=i2c-dev
	fi
	# The login that ran `sudo make install` is most likely the therapist's:
	# group tonic lets it use the control socket (`tonic ctl`, `tonic setup`).
	if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ] && ! id -nG "$SUDO_USER" | grep -qw tonic; then
		usermod -aG tonic "$SUDO_USER"
		say "added $SUDO_USER to group tonic; log out and in again to use 'tonic ctl'"
	fi
}

start_service() {
	if [ "$DO_SYSTEMCTL" = 0 ]; then
		say "skipping systemctl (--no-systemctl)"
	elif [ -n "$ROOT" ]; then
		systemctl --root="$ROOT" enable tonic.service
		say "enabled tonic.service in $ROOT; it starts at the next boot"
	elif ! systemd_running; then
		say "systemd is not running this machine (a container or chroot?):"
		say "the service is installed but not started; on the box run: systemctl enable --now tonic"
	else
		systemctl daemon-reload
		systemctl enable tonic.service
		# restart, not start: an update must replace the running service.
		systemctl restart tonic.service
		say "tonic is running; check it with: systemctl status tonic, tonic doctor"
	fi
}

uninstall() {
	if [ "$DO_SYSTEMCTL" = 1 ]; then
		if [ -n "$ROOT" ]; then
			[ ! -e "$ROOT$UNIT" ] || systemctl --root="$ROOT" disable tonic.service
		elif systemd_running; then
			systemctl disable --now tonic.service 2>/dev/null || true
		fi
	fi
	rm -f "$ROOT$UNIT" "$ROOT$SYSUSERS" "$ROOT$TMPFILES" "$ROOT$UDEV_RULES" "$ROOT$MODULES" "$ROOT$POLKIT_RULES"
	if [ -L "$ROOT$LINK" ]; then
		rm -f "$ROOT$LINK"
	fi
	rm -rf -- "$ROOT$OPT"
	if [ "$DO_SYSTEMCTL" = 1 ] && systemd_running; then
		systemctl daemon-reload
	fi
	say "removed Tonic; kept the profiles (/var/lib/tonic), the config (/etc/tonic) and the tonic user"
}

if [ -z "$ROOT" ] && [ "$(id -u)" != 0 ]; then
	die "run as root: sudo make install"
fi

if [ "$ACTION" = uninstall ]; then
	uninstall
	exit 0
fi
install_apt
install_app
install_system_files
install_config
enable_hardware
start_service
say "done"
