"""Reading and writing the file formats other tools speak (PAGE XML,
colour GTs), as pure functions: no registry, no runner."""
