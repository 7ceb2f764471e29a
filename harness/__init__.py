"""The X2 harness: chapter model, progress store, checks runner, quiz engine, CLI and TUI.

Layers (see docs/ARCHITECTURE.md): everything except `harness.tui` is importable without
textual, torch or transformers.
"""

__version__ = "0.1.0"
