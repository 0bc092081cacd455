"""The interactive menu: prompts, the main loop, and its side-by-side choice."""
