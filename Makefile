# Tonic: the two Quick start commands (`make demo`, `make test`) and `make bench`.
# Each target does its own set-up, idempotently, on a fresh Debian 12 or
# Raspberry Pi OS machine, as root or as a sudo user.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := $(VENV)/.stamps
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# What the box needs from the OS: a compiler and headers for systemd-python,
# FluidSynth's library and a small General MIDI soundfont.
APT_PACKAGES := python3-venv python3-dev gcc pkg-config libsystemd-dev \
	libfluidsynth3 timgm6mb-soundfont
# Only for the tests: FluidSynth's command line plays the MIDI record back
# (the peer tests). Not on the box (services/install.sh takes APT_PACKAGES):
# Debian's package enables a user service that would take the sound card.
TEST_APT_PACKAGES := fluidsynth jackd2

.PHONY: all setup demo test bench lint clean

all: test

setup: $(STAMPS)/pip

# Ask dpkg first, so a machine that is already set up never touches apt.
$(STAMPS)/apt:
	@missing=$$(for p in $(APT_PACKAGES) $(TEST_APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "Installing system packages:" $$missing; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@$(PYTHON) -m venv --help >/dev/null
	@[ -d $(VENV) ] || $(PYTHON) -m venv $(VENV)
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/pip: $(STAMPS)/apt pyproject.toml
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

demo: setup
	$(BIN)/tonic demo

test: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python -m benchmarks

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) demo.wav .pytest_cache .ruff_cache .hypothesis

# Install the box as a service on this Pi (or Debian machine): `sudo make install`.
# services/install.sh says what it does; running it again updates the box.
.PHONY: install uninstall

install:
	$(SUDO) env TONIC_APT_PACKAGES="$(APT_PACKAGES)" services/install.sh

# Removes the app and the service; keeps the profiles, the config and the user.
uninstall:
	$(SUDO) services/install.sh --uninstall
