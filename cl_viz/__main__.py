import sys

from cl_viz.cli.main import main

sys.exit(main())
