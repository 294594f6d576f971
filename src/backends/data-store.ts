/** Content-addressed blobs (large arguments are stored once under their sha256). */
export interface DataStore {
  /** Stores `data` under `key` (its sha256); storing the same key twice keeps one copy. */
  put(key: string, data: Buffer): Promise<void>;
  get(key: string): Promise<Buffer | null>;
  has(key: string): Promise<boolean>;
  delete(keys: string[]): Promise<number>;
  /** Number of blobs and their total bytes. */
  stats(): Promise<{ count: number; bytes: number }>;
  /**
   * Records that these invocations use blob `key`; called before they are stored, so a blob is
   * never deleted while an invocation may still refer to it.
   */
  addRefs(key: string, invocationIds: string[]): Promise<void>;
  /** Drops the references of these invocations and deletes blobs left without any; returns how many. */
  release(invocationIds: string[]): Promise<number>;
  /** Ids of every invocation holding a reference (purge checks which of them are gone). */
  referrers(): Promise<string[]>;
}
