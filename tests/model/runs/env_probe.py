"""A tiny worker module for tests: ``python -m tests.model.runs.env_probe OUT [EXIT_CODE]`` writes
its environment and working directory to OUT as JSON and exits with EXIT_CODE (default 0)."""

import json
import os
import sys

if __name__ == "__main__":
    out, code = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0
    with open(out, "w") as f:
        json.dump({"env": dict(os.environ), "cwd": os.getcwd()}, f)
    print("probe ran")
    sys.exit(code)
