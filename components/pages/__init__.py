"""The dashboard pages; each module's ``render()`` is called by a one-line script in views/."""
