"""Course chapters: each subpackage holds one chapter's labs, pages and data."""
