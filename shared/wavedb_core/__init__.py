"""WaveDB server core: settings, models, auth, database and services shared by every function."""
