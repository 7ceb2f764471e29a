"""What a learner keeps: the quiz engine, question variants, spaced review and mastery.

Data layer only: nothing here imports `textual`; the CLI and the TUI are thin clients.
"""
