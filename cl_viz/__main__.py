import sys

from cl_viz.cli import main

sys.exit(main())
