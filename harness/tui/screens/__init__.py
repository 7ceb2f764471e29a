"""One module per screen of the learner's path through the chapter."""
