"""Chapter X2 — Multi-modal Models: the grammar universe, the icon data set and the labs."""
