"""PySide6's import hook, made cheap: every module imported after PySide6 is no longer tokenised.

Once PySide6 is loaded, each newly imported module passes through shibokensupport.feature's
`feature_imported` (PYSIDE-2029), whose `_mod_uses_pyside` reads the module's whole source with
inspect.getsource to look for the word "PySide6", and so keeps every source in linecache. The worker's
first run imports torch, torch._dynamo (the first optimizer does) and more: ~3,000 modules, ~50 MB
of source held for nothing. The same question is answered here from the file's bytes. Tested with
PySide6 6.7-6.11 (tests/test_pyside_imports.py); where the hook is not found nothing changes.
"""

from __future__ import annotations

import sys

import PySide6.QtCore  # noqa: F401 (installs the hook that is patched here)

HOOK_MODULE = "shibokensupport.feature"
MARK = "_cl_viz_reads_bytes"


def make_imports_cheap() -> bool:
    """Replace the hook's source check; True when it is (or already was) replaced."""
    feature = sys.modules.get(HOOK_MODULE)
    original = getattr(feature, "_mod_uses_pyside", None)
    if original is None:
        return False
    if getattr(original, MARK, False):
        return True

    def mod_uses_pyside(module) -> bool:
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return original(module)
        try:
            with open(path, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:
            return original(module)

    setattr(mod_uses_pyside, MARK, True)
    feature._mod_uses_pyside = mod_uses_pyside
    return True
