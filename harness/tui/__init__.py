"""The Textual TUI: a thin client over the store, progress, checks, runs and quiz modules.

Only this package imports `textual`; build the app with `harness.tui.app.make_app`.
"""
