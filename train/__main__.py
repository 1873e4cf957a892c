"""``python -m actloop.train``: the entry ``torchrun`` and ``accelerate launch`` start."""

import sys

from .launch import main

sys.exit(main())
