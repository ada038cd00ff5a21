"""Neural-network building blocks (Module, Parameter, functional)."""
