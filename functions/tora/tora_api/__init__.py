"""Tora compatibility: the wire contract of Tora's API as adapters onto WaveDB's services.
Only functions/tora serves it, so it lives in that function's code folder, not the core layer."""
