"""Building blocks of every window: the guard around code Qt calls, throttles, number sliders, the banner, settings."""
