"""The measuring code: everything that runs inside a worker process, with the frameworks imported.

Its source is part of every cached measurement's key (`refmap/verify/store.py`): editing a file
here re-measures, editing the judge or the renderer does not.
"""
