"""Pure colouring, error maps, legends and plots (numpy/Pillow only)."""
