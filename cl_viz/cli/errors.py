"""How every headless subcommand ends: status 0, or one line on stderr and a non-zero status."""

from __future__ import annotations

import sys
from collections.abc import Callable

from cl_viz.core.errors import ClVizError
from cl_viz.core.files import reason


def run_reporting_errors(prog: str, body: Callable[[], int]) -> int:
    try:
        return body()
    except ClVizError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # the system's refusal (a full disk, a read-only folder) where no check caught it
        where = f"{error.filename}: " if error.filename else ""
        print(f"{prog}: error: {where}{reason(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\n{prog}: interrupted", file=sys.stderr)
        return 130
