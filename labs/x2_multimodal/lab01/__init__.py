"""Lab 01: CLIP-style pairing of grammar icons and verb-form texts, in NumPy."""
