"""segmentors."""
