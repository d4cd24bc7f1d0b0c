"""Tonic: a music-therapy appliance."""
