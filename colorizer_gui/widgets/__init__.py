"""Small reusable widgets with no knowledge of photos or models: plot, empty state, log panel, icons, file drops."""
