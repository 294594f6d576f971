-- Workflow state (one row per workflow key) and the references from invocations to data-store
-- blobs (a blob goes when its last referring invocation is purged).
CREATE TABLE wf_data (
  workflow_id TEXT NOT NULL,
  key         TEXT NOT NULL,
  value       TEXT NOT NULL,
  PRIMARY KEY (workflow_id, key)
);
CREATE TABLE blob_refs (
  key    TEXT NOT NULL,
  inv_id TEXT NOT NULL,
  PRIMARY KEY (key, inv_id)
);
CREATE INDEX blob_refs_inv ON blob_refs (inv_id);
