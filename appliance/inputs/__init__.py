"""Client inputs: each turns hardware into immutable events for the engine."""
