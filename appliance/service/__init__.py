"""``tonic run``: the box as a systemd service, with its control socket."""
