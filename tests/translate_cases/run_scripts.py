"""Run many scripts in this one process: `python run_scripts.py FOLDER...`.

Each folder holds `script.py`; it runs with the folder as working directory, in a fresh namespace
(`runpy.run_path`). A script that raises leaves `error.txt` (the traceback) instead of its results.
The tests run every torch script in one process and every translation in another, so each
framework is imported once.
"""

import os
import runpy
import sys
import traceback

for folder in sys.argv[1:]:
    os.chdir(folder)
    try:
        runpy.run_path("script.py", run_name="__main__")
    except BaseException:  # noqa: BLE001 - recorded for the test, which names the case
        with open("error.txt", "w", encoding="utf-8") as f:
            f.write(traceback.format_exc())
