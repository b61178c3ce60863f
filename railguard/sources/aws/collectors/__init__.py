"""One module per AWS service family; each registers its collectors on import."""
