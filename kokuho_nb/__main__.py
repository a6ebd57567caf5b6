import sys

from kokuho_nb.cli import main

sys.exit(main())
