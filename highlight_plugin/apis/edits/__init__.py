"""The editor's edit list of a reel (its format, the changes the review page sends, the store that keeps it beside the
reel with undo) and snapping a dragged edge as the tool snaps: what a re-cut (:mod:`..recut`) applies."""
