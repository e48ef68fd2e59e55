-- Where a run came from, as the SDK records it at init(): git commit, branch, remote and
-- whether the tree was dirty, host, user, OS, Python, command line, GPUs, SDK version, and
-- the names of the files (diff, installed packages) uploaded beside it as media.
ALTER TABLE runs ADD COLUMN provenance jsonb;
