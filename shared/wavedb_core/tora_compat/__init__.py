"""Tora compatibility: the wire contract of Tora's API as adapters onto WaveDB's services."""
