"""The default configuration, shipped as package data (config/default.toml)."""
