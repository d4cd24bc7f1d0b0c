"""The control socket: how the setup UI, ``tonic ctl`` and other programs talk to the box.

The protocol is newline-delimited JSON over a Unix socket (docs/control-api.md).
:mod:`appliance.control.api` says what a server serves; :mod:`.server` serves it;
:mod:`.client` is the small synchronous client that ``tonic ctl`` and the setup UI
use, and imports nothing of the engine, the synth or the inputs.
"""
