"""INEGI geostatistical codes: the 32 states, built in, and the imported municipalities."""
