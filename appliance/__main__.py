"""``python -m appliance`` is the ``tonic`` command."""

import sys

from appliance.cli import main

sys.exit(main())
