"""Every figure of ctcstats: Axes in (``ax=None`` creates one), Axes out; nothing computed here.

matplotlib is imported lazily inside each function so that importing ctcstats stays cheap
and never touches pyplot state. Submodules are split by procedure (survival, counts, ...).
"""
