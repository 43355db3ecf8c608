"""The main window and its collaborators: frame scheduling, playback, presentation mode, menus, panels."""
