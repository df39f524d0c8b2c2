"""The review server: a local web page to drop, trim, reorder and re-cut reels (``tools/review.py``; docs/review.md)."""
