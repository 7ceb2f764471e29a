"""What a mentor works with: cohort views and reports (views.py), a learner's records as a
portable file (records.py). No module here imports textual; the CLI and the TUI are clients."""
