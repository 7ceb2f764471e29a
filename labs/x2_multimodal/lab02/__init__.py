"""Lab 02: Whisper inference walkthrough (log-mel by hand, real whisper-tiny.en offline)."""
